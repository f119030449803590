"""What a face detector returns."""
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ['FaceDetection', 'largest_face']


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
