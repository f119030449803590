"""dlib shape predictors (5 or 68 points) and conversion to ArcFace's 5
points."""
import numpy as np

from .optional_imports import dlib_model_path, import_optional

__all__ = ['DlibLandmarkPredictor', 'landmarks68_to_arcface5']


class DlibLandmarkPredictor:
    """dlib's shape predictor inside a face box, with the model files shipped
    by ``face_recognition_models``.

    ``num_points=5`` gives dlib's own 5 points (image-right eye outer and
    inner corner, image-left eye outer and inner corner, nose base), the ones
    dlib's face recognition model aligns with. ``num_points=68`` gives the
    iBUG 68 points; :func:`landmarks68_to_arcface5` turns them into ArcFace's.

    Args:
        num_points: 5 or 68.
        model_path: a local ``.dat`` file instead of the packaged one.
    """

    def __init__(self, num_points=5, model_path=None):
        if num_points not in (5, 68):
            raise ValueError(f'num_points must be 5 or 68, got {num_points}')
        self._dlib = import_optional('dlib', 'DlibLandmarkPredictor')
        if model_path is None:
            model_path = dlib_model_path(f'shape_predictor_{num_points}')
        self.num_points = num_points
        self.model_path = str(model_path)
        self._predictor = self._dlib.shape_predictor(self.model_path)

    def __call__(self, image_bgr, box):
        """``(num_points, 2)`` float array of (x, y) inside ``box``
        ``[x1, y1, x2, y2]``."""
        rgb = np.ascontiguousarray(image_bgr[..., ::-1])
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        shape = self._predictor(rgb, self._dlib.rectangle(x1, y1, x2, y2))
        return np.array([[p.x, p.y] for p in shape.parts()],
                        dtype=np.float64)


def landmarks68_to_arcface5(points68):
    """Eye centres, nose tip and mouth corners (ArcFace order) from iBUG 68
    points."""
    points68 = np.asarray(points68, dtype=np.float64)
    if points68.shape != (68, 2):
        raise ValueError(f'expected (68, 2) landmarks, got {points68.shape}')
    return np.stack([
        points68[36:42].mean(axis=0),  # image-left eye
        points68[42:48].mean(axis=0),  # image-right eye
        points68[30],  # nose tip
        points68[48],  # image-left mouth corner
        points68[54],  # image-right mouth corner
    ])
