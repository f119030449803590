"""One path from a frame to an aligned face crop, shared by data
preprocessing and inference so both see faces the same way."""
from typing import NamedTuple, Optional

import numpy as np

# The detector of preprocessing and inference alike (FaceCropper's default,
# the CLIs' --detector default, defined where --help can read it light);
# CascadeFaceDetector says why.
from qcdet.utils.cli import DEFAULT_FACE_DETECTOR

from .alignment import (
    align_face,
    arcface_template,
    estimate_similarity_transform,
)
from .detectors import CascadeFaceDetector, DlibHOGDetector, RetinaFaceDetector
from .face_boxes import FaceDetection, largest_face
from .landmarks import DlibLandmarkPredictor, landmarks68_to_arcface5

__all__ = ['FaceCrop', 'FaceCropper', 'build_face_detector',
           'default_detector_cfg', 'FACE_DETECTORS', 'DEFAULT_FACE_DETECTOR']

FACE_DETECTORS = {'cascade': CascadeFaceDetector, 'dlib': DlibHOGDetector,
                  'hog': DlibHOGDetector, 'retinaface': RetinaFaceDetector}


# FaceCropper's detector settings when none are given. Single-pass
# detectors run on frames shrunk to 512 px on the longest side: ~5x faster
# than full-resolution dlib HOG on the FF++/DFDC sample clips (480p-1080p)
# with the same faces found there (benchmarks/preprocess_speed.py); crops
# are still cut from full frames. The cascade's own defaults include it.
_DEFAULT_DETECTOR_CFGS = dict(dlib=dict(max_side=512),
                              hog=dict(max_side=512),
                              retinaface=dict(max_side=512))


def default_detector_cfg(name: str) -> dict:
    """The settings FaceCropper gives detector ``name`` by default."""
    return dict(_DEFAULT_DETECTOR_CFGS.get(name, {}))


def build_face_detector(name: str, **kwargs):
    """``'cascade'``, ``'dlib'`` (alias ``'hog'``) or ``'retinaface'``,
    built with exactly ``kwargs``."""
    if name not in FACE_DETECTORS:
        raise ValueError(f'unknown face detector {name!r}; use one of '
                         f'{sorted(FACE_DETECTORS)}')
    return FACE_DETECTORS[name](**kwargs)


class FaceCrop(NamedTuple):
    image: np.ndarray       # size x size BGR crop
    box: np.ndarray         # [x1, y1, x2, y2] in the frame
    landmarks: np.ndarray   # (5, 2) ArcFace-order points in the frame
    matrix: np.ndarray      # 2x3 frame -> crop similarity transform


class FaceCropper:
    """Detect the largest face, find ArcFace's 5 landmarks (from the detector
    when it gives them, else dlib's 68-point predictor) and warp the face to a
    ``size`` x ``size`` crop on the ArcFace template zoomed out by
    ``margin`` (DeepfakeBench-like crops at ``size=256, margin=1.3``).

    ``crop(frame, face=...)`` reuses a face found in another frame: a fake is
    cropped with its real's face so that the pair stays pixel-aligned.

    ``detector_cfg`` None gives the detector :func:`default_detector_cfg`
    (frames shrunk to 512 px), so preprocessing and inference detect alike.
    """

    def __init__(self, detector: str = DEFAULT_FACE_DETECTOR,
                 size: int = 256, margin: float = 1.3,
                 detector_cfg: Optional[dict] = None):
        if detector_cfg is None:
            detector_cfg = default_detector_cfg(detector)
        self.detector = build_face_detector(detector, **detector_cfg)
        self.detector_cfg = detector_cfg
        self.size = size
        self.margin = margin
        self._landmarks68 = None

    def locate(self, frame_bgr: np.ndarray) -> Optional[FaceDetection]:
        """The largest face with ArcFace-order ``landmarks``, or None."""
        return self.with_landmarks(frame_bgr,
                                   largest_face(self.detector(frame_bgr)))

    def with_landmarks(
            self, frame_bgr: np.ndarray,
            face: Optional[FaceDetection]) -> Optional[FaceDetection]:
        """``face`` with ArcFace-order landmarks: the detector's own, or from
        dlib's 68-point predictor for detectors without landmarks (HOG)."""
        if face is None or face.landmarks is not None:
            return face
        return FaceDetection(
            box=face.box, score=face.score,
            landmarks=landmarks68_to_arcface5(
                self.landmarks68(frame_bgr, face.box)))

    def landmarks68(self, frame_bgr: np.ndarray, box) -> np.ndarray:
        """dlib's iBUG 68 points ``(68, 2)`` inside ``box`` of the frame, in
        the frame's pixels (the predictor is loaded on first use)."""
        if self._landmarks68 is None:
            self._landmarks68 = DlibLandmarkPredictor(68)
        return self._landmarks68(frame_bgr, box)

    def crop(self, frame_bgr: np.ndarray,
             face: Optional[FaceDetection] = None) -> Optional[FaceCrop]:
        face = self.locate(frame_bgr) if face is None else face
        if face is None:
            return None
        matrix = estimate_similarity_transform(
            face.landmarks, arcface_template(self.size, self.margin))
        image = align_face(frame_bgr, face.landmarks, self.size, self.margin)
        return FaceCrop(image, np.asarray(face.box, dtype=np.float64),
                        np.asarray(face.landmarks, dtype=np.float64), matrix)
