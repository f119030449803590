"""Annotated copies of scored media: the face box and its fake probability
drawn on each frame (red: fake at the threshold, green: real)."""
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

__all__ = ['FAKE_COLOR', 'REAL_COLOR', 'draw_face_score', 'MediaAnnotator']

FAKE_COLOR = (0, 0, 255)  # BGR
REAL_COLOR = (0, 200, 0)
NO_FACE_COLOR = (0, 200, 255)


def draw_face_score(frame: np.ndarray, score: Optional[float],
                    box: Optional[np.ndarray],
                    threshold: float = 0.5) -> np.ndarray:
    """A copy of ``frame`` with the box and ``fake 0.87``/``real 0.12``
    (or ``no face``)."""
    out = frame.copy()
    thickness = max(2, round(max(frame.shape[:2]) / 400))
    font_scale = max(0.5, max(frame.shape[:2]) / 1200)
    if box is None or score is None:
        cv2.putText(out, 'no face', (10, int(30 * font_scale) + 10),
                    cv2.FONT_HERSHEY_SIMPLEX, font_scale, NO_FACE_COLOR,
                    thickness)
        return out
    fake = score > threshold
    color = FAKE_COLOR if fake else REAL_COLOR
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
    text = f'{"fake" if fake else "real"} {score:.2f}'
    (_, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                     font_scale, thickness)
    y_text = y1 - thickness - 4 if y1 - text_h - thickness - 4 > 0 \
        else y2 + text_h + thickness + 4
    cv2.putText(out, text, (x1, y_text), cv2.FONT_HERSHEY_SIMPLEX,
                font_scale, color, thickness)
    return out


class MediaAnnotator:
    """Collects one input's annotated frames into ``out_stem``: an image
    becomes ``<out_stem>.png``; a video becomes ``<out_stem>.mp4`` (its
    sampled frames, ``fps`` per second) and ``<out_stem>.png`` (the first
    sampled frame with a face, else the first frame).

    Pass :meth:`on_frame` to :class:`DeepfakeInferencer` and call
    :meth:`close` afterwards; ``paths`` lists the files written.
    """

    def __init__(self, out_stem: Path, kind: str, threshold: float = 0.5,
                 fps: float = 2.0):
        self.out_stem = Path(out_stem)
        self.kind = kind
        self.threshold = threshold
        self.fps = fps
        self.paths = []
        self._writer = None
        self._still = None
        self._still_has_face = False
        self.out_stem.parent.mkdir(parents=True, exist_ok=True)

    def on_frame(self, frame_idx, frame, score, box):
        drawn = draw_face_score(frame, score, box, self.threshold)
        has_face = score is not None
        if self._still is None or (has_face and not self._still_has_face):
            self._still, self._still_has_face = drawn, has_face
        if self.kind != 'video':
            return
        if self._writer is None:
            path = self.out_stem.with_suffix('.mp4')
            self._writer = cv2.VideoWriter(
                str(path), cv2.VideoWriter_fourcc(*'mp4v'), self.fps,
                (frame.shape[1], frame.shape[0]))
            if not self._writer.isOpened():
                raise IOError(f'cannot write video {path}')
            self.paths.append(str(path))
        self._writer.write(drawn)

    def close(self):
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._still is not None:
            path = self.out_stem.with_suffix('.png')
            if not cv2.imwrite(str(path), self._still):
                raise IOError(f'cannot write image {path}')
            self.paths.append(str(path))
            self._still = None
