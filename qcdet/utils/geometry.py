"""Point geometry shared by the face stack, the training transforms and the
synthetic renderer (numpy only, so the training path imports it without
``qcdet.faces``)."""
import numpy as np

__all__ = ['transform_points']


def transform_points(points, matrix) -> np.ndarray:
    """``(N, 2)`` points mapped by a 2x3 affine ``matrix`` (the matrix
    ``cv2.warpAffine`` takes), in float64."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f'expected (N, 2) points, got {points.shape}')
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape != (2, 3):
        raise ValueError(f'expected a 2x3 affine matrix, got {matrix.shape}')
    return points @ matrix[:, :2].T + matrix[:, 2]
