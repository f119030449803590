"""What a face detector returns: face boxes with scores and landmarks
(``FaceDetection``), and box overlap."""
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ['FaceDetection', 'largest_face', 'box_iou']


@dataclass
class FaceDetection:
    """One face in an image, in that image's pixel coordinates.

    ``box`` is ``[x1, y1, x2, y2]``; ``landmarks`` is a ``(5, 2)`` array of
    (x, y) in ArcFace order (image-left eye, image-right eye, nose tip,
    image-left mouth corner, image-right mouth corner) or None when the
    detector gives no landmarks.
    """
    box: np.ndarray
    score: float
    landmarks: Optional[np.ndarray] = None

    @property
    def area(self):
        x1, y1, x2, y2 = self.box
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)


def largest_face(detections):
    """The biggest face (the subject in FF++-style videos), or None."""
    if not detections:
        return None
    return max(detections, key=lambda det: det.area)


def box_iou(box_a, box_b) -> float:
    """Intersection over union of two ``[x1, y1, x2, y2]`` boxes: whether a
    detection is the face a test or benchmark knows is there."""
    x1, y1 = np.maximum(box_a[:2], box_b[:2])
    x2, y2 = np.minimum(box_a[2:], box_b[2:])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)

    def area(box):
        return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])

    union = area(box_a) + area(box_b) - inter
    return float(inter / union) if union > 0 else 0.0
