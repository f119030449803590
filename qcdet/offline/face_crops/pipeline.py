"""One real video and the fakes made from it -> aligned face crops,
landmarks, masks and a per-video done marker.

A fake is cropped with its real's face of the same frame index, so the pair's
crops are pixel-aligned (they differ only where the forgery changed pixels).
Every file is written to a temporary name and renamed, and a video's done
marker is written last: an interrupted run leaves no half-written file and no
video that looks finished but is not.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

import cv2
import numpy as np

from qcdet.faces import (
    FaceCropper,
    FaceDetection,
    landmarks68_to_arcface5,
    transform_points,
)
from qcdet.utils.atomic_files import write_bytes_atomic, write_json_atomic
from qcdet.utils.video import (
    VideoReadError,
    evenly_spaced_indices,
    read_frames,
    video_frame_count,
)

from .layouts import VideoItem

__all__ = ['PreprocessConfig', 'OutputLayout', 'select_face', 'FaceLocator',
           'failure_result', 'process_group', 'landmarks68_in_crop',
           'LANDMARKS68_MAX_DISAGREEMENT']


@dataclass
class PreprocessConfig:
    num_frames: int = 32
    size: int = 256
    margin: float = 1.3
    # store dlib's 68 points (crop pixels) in each record as 'landmarks'
    landmarks68: bool = False


# How far (mean distance over the 5 ArcFace points, in inter-ocular
# distances) the eyes, nose tip and mouth corners of dlib's 68-point fit may
# lie from the 5 points the crop was aligned with before the fit counts as
# not found. On the shared FF++ c23 clips (RetinaFace's points) the
# disagreement was 0.03-0.21 (different definitions of the eye centre and
# nose tip); a fit inside a box with no face, or on the wrong face, is off
# by about one inter-ocular distance or more.
LANDMARKS68_MAX_DISAGREEMENT = 0.35


def landmarks68_in_crop(cropper: FaceCropper, frame: np.ndarray,
                        face: FaceDetection, matrix: np.ndarray):
    """dlib's 68 points of ``face`` in the crop cut from ``frame`` with
    ``matrix`` (frame -> crop), or ``(None, reason)`` when they cannot be
    found: dlib failed, or its fit disagrees with the 5 points the crop was
    aligned with (:data:`LANDMARKS68_MAX_DISAGREEMENT`).

    Returns ``(points, None)`` with ``points`` a ``(68, 2)`` array.
    """
    try:
        points = cropper.landmarks68(frame, face.box)
    except Exception as e:  # dlib's RuntimeError on odd input: skip it
        return None, f'dlib failed ({type(e).__name__}: {e})'
    if points.shape != (68, 2) or not np.isfinite(points).all():
        return None, f'dlib gave {points.shape} points or non-finite ones'
    anchors = np.asarray(face.landmarks, dtype=np.float64)
    eyes = np.linalg.norm(anchors[0] - anchors[1])
    off = np.linalg.norm(landmarks68_to_arcface5(points) - anchors,
                         axis=1).mean() / max(eyes, 1e-6)
    if off > LANDMARKS68_MAX_DISAGREEMENT:
        return None, (f'the 68-point fit is {off:.2f} inter-ocular '
                      f'distances off the alignment points')
    return transform_points(points, matrix), None


class OutputLayout:
    """Paths under ``--out``; records hold them relative to it::

        crops/<method>/<video>/<frame:04d>.png
        landmarks/<method>/<video>/<frame:04d>.npy   (5 points, crop coords)
        masks/<method>/<video>/<frame:04d>.png       (fakes with a mask video)
        done/<method>/<video>.json                   (written last)
    """

    def __init__(self, root):
        self.root = str(root)

    def rel(self, kind: str, key: str, frame_idx: int, ext: str) -> str:
        return f'{kind}/{key}/{frame_idx:04d}{ext}'

    def abs(self, rel: str) -> str:
        return osp.join(self.root, rel)

    def done_marker(self, key: str) -> str:
        return osp.join(self.root, 'done', f'{key}.json')

    def load_done(self, key: str) -> Optional[dict]:
        path = self.done_marker(key)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)


def _write_png(path: str, image: np.ndarray) -> None:
    ok, buf = cv2.imencode('.png', image)
    if not ok:
        raise RuntimeError(f'cannot encode {path}')
    write_bytes_atomic(path, buf.tobytes())


def _write_npy(path: str, array: np.ndarray) -> None:
    import io
    buf = io.BytesIO()
    np.save(buf, array)
    write_bytes_atomic(path, buf.getvalue())


def _binary_mask(frame: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """FF++ mask videos: white (manipulated) on black, lossy-compressed."""
    if frame is None:
        return None
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame,
                                                      cv2.COLOR_BGR2GRAY)
    return (gray > 127).astype(np.uint8) * 255


def select_face(detections: List[FaceDetection],
                mask: Optional[np.ndarray] = None
                ) -> Optional[FaceDetection]:
    """The face the manipulation mask covers most (the manipulated face in
    a multi-person frame); the largest face without a usable mask."""
    if not detections:
        return None
    if mask is not None and mask.any():
        def covered(det):
            h, w = mask.shape[:2]
            x1, y1, x2, y2 = (int(round(v)) for v in det.box)
            x1, y1 = max(x1, 0), max(y1, 0)
            x2, y2 = min(x2, w), min(y2, h)
            if x2 <= x1 or y2 <= y1:
                return 0
            return int(np.count_nonzero(mask[y1:y2, x1:x2]))
        best = max(detections, key=covered)
        if covered(best) > 0:
            return best
    return max(detections, key=lambda det: det.area)


class FaceLocator:
    """``FaceCropper`` plus mask-guided choice among several faces."""

    def __init__(self, cropper: FaceCropper):
        self.cropper = cropper

    def __call__(self, frame, mask=None) -> Optional[FaceDetection]:
        if mask is None:
            return self.cropper.locate(frame)
        return self.cropper.with_landmarks(
            frame, select_face(self.cropper.detector(frame), mask))


def _face_from_json(face: dict) -> FaceDetection:
    return FaceDetection(box=np.asarray(face['box'], dtype=np.float64),
                         score=float(face.get('score', 1.0)),
                         landmarks=np.asarray(face['landmarks'],
                                              dtype=np.float64))


def failure_result(item: VideoItem, kind: str, detail: str,
                   sampled: int = 0) -> dict:
    """A failed video: ``kind`` is what the summary counts ('unreadable
    video', 'no face', 'error'), ``reason`` says it in full."""
    return dict(status='failed', key=item.key, video_id=item.video_id,
                label=item.label, method=item.method, split=item.split,
                kind=kind, reason=f'{kind}: {detail}',
                frames_sampled=sampled, frames_with_face=0)


def _process_video(item: VideoItem, locate: FaceLocator, out: OutputLayout,
                   cfg: PreprocessConfig,
                   indices: Optional[List[int]] = None,
                   real: Optional[dict] = None,
                   guide_mask_path: Optional[str] = None) -> dict:
    """Crop one video; ``real`` is its paired real's done marker (reuse its
    faces and frame indices), ``guide_mask_path`` a fake's mask video that
    picks the face on a real."""
    try:
        count = video_frame_count(item.path)
    except VideoReadError as e:
        return failure_result(item, 'unreadable video', str(e))
    notes = list(item.notes)
    if indices is None:
        indices = evenly_spaced_indices(count, cfg.num_frames)
    elif max(indices) >= count:
        notes.append(f'{count} frames but its real has more: sampled frames '
                     f'past {count - 1} dropped')
        indices = [i for i in indices if i < count]
    try:
        frames = read_frames(item.path, indices)
    except VideoReadError as e:
        return failure_result(item, 'unreadable video', str(e),
                              len(indices))
    mask_path = item.mask_path or guide_mask_path
    masks = {}
    if mask_path:
        try:
            masks = read_frames(mask_path, indices)
        except VideoReadError as e:
            notes.append(f'mask video unusable ({e}); largest face used')

    real_faces = real['faces'] if real else {}
    real_crops = {r['frame_idx']: r['img_path']
                  for r in real['records']} if real else {}
    records, faces = [], {}
    no_face = undecodable = 0
    no_landmarks = {}  # frame index -> why its 68 points were not stored
    for idx in indices:
        frame = frames.get(idx)
        if frame is None:
            undecodable += 1
            continue
        mask = _binary_mask(masks.get(idx))
        pair_reason = None
        if real is not None and str(idx) in real_faces:
            face = _face_from_json(real_faces[str(idx)])
        else:
            face = locate(frame, mask)
            if real is not None:
                pair_reason = 'no face found in the real frame'
        if face is None:
            no_face += 1
            continue
        crop = locate.cropper.crop(frame, face)
        rel = out.rel('crops', item.key, idx, '.png')
        _write_png(out.abs(rel), crop.image)
        lm_rel = out.rel('landmarks', item.key, idx, '.npy')
        lm_crop = np.c_[crop.landmarks, np.ones(5)] @ crop.matrix.T
        _write_npy(out.abs(lm_rel), lm_crop.astype(np.float32))
        record = dict(img_path=rel, label=item.label,
                      video_id=item.video_id, dataset=item.dataset,
                      method=item.method, frame_idx=int(idx),
                      landmarks_path=lm_rel)
        if cfg.landmarks68:
            points, why = landmarks68_in_crop(locate.cropper, frame, face,
                                              crop.matrix)
            if points is None:
                no_landmarks[int(idx)] = why
            else:
                record['landmarks'] = np.round(points, 2).tolist()
        if item.mask_path and mask is not None:
            warped = cv2.warpAffine(mask, crop.matrix, (cfg.size, cfg.size),
                                    flags=cv2.INTER_NEAREST)
            mask_rel = out.rel('masks', item.key, idx, '.png')
            _write_png(out.abs(mask_rel), warped)
            record['mask_path'] = mask_rel
        if item.label == 1:
            if pair_reason is None and idx in real_crops:
                record['pair_path'] = real_crops[idx]
            else:
                record['pair_path'] = None
                record['pair_missing_reason'] = (
                    pair_reason or item.pair_missing_reason or
                    'paired real has no crop of this frame')
        records.append(record)
        faces[str(idx)] = dict(box=[float(v) for v in crop.box],
                               landmarks=crop.landmarks.tolist(),
                               score=float(getattr(face, 'score', 1.0)))
    result = dict(status='done', key=item.key, video_id=item.video_id,
                  label=item.label, method=item.method, split=item.split,
                  frame_count=count, frame_indices=[int(i) for i in indices],
                  frames_sampled=len(indices), frames_with_face=len(records),
                  frames_no_face=no_face, frames_undecodable=undecodable,
                  pair_key=item.pair_key,
                  pair_missing_reason=item.pair_missing_reason,
                  notes=notes, faces=faces, records=records)
    if cfg.landmarks68:
        result.update(landmarks68=True,
                      frames_no_landmarks=len(no_landmarks),
                      no_landmarks={str(k): v
                                    for k, v in no_landmarks.items()})
        if no_landmarks:
            notes.append(f'{len(no_landmarks)} frame(s) without 68-point '
                         f'landmarks (records kept, no "landmarks" key): '
                         f'frames {sorted(no_landmarks)}')
    if not records:
        return failure_result(
            item, 'no face', f'none found in the {len(indices)} sampled '
            f'frames ({undecodable} of them undecodable)', len(indices))
    write_json_atomic(out.done_marker(item.key), result)
    return result


def process_group(real: Optional[VideoItem], fakes: List[VideoItem],
                  locate: FaceLocator, out: OutputLayout,
                  cfg: PreprocessConfig, done: Dict[str, dict]) -> List[dict]:
    """Process ``real`` (unless ``done``) then its ``fakes`` with its faces.

    ``done`` maps keys of finished videos to their markers. Returns the
    results (done markers or failures) of the videos processed now.
    """
    results = []
    real_result = None
    if real is not None:
        real_result = done.get(real.key)
        if real_result is None:
            guide = next((f.mask_path for f in fakes if f.mask_path), None)
            real_result = _process_video(real, locate, out, cfg,
                                         guide_mask_path=guide)
            results.append(real_result)
    for fake in fakes:
        if fake.key in done:
            continue
        if real_result is not None and real_result['status'] == 'done':
            results.append(_process_video(
                fake, locate, out, cfg,
                indices=real_result['frame_indices'], real=real_result))
        else:
            if real_result is not None:
                fake.pair_missing_reason = ('paired real failed: ' +
                                            real_result['reason'])
            results.append(_process_video(fake, locate, out, cfg))
    return results
