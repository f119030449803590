"""5-point face alignment onto the ArcFace template by a similarity
transform (rotation, uniform scale, translation)."""
import cv2
import numpy as np

# here too as qcdet.faces.transform_points: a frame's landmarks into the crop
# that align_face cut with the same matrix
from qcdet.utils.geometry import transform_points

__all__ = [
    'ARCFACE_TEMPLATE_112', 'estimate_similarity_transform',
    'arcface_template', 'align_face', 'transform_points'
]

# Where ArcFace-style recognisers expect the 5 landmarks in a 112x112 crop:
# image-left eye, image-right eye, nose tip, left and right mouth corners.
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64)


def estimate_similarity_transform(src, dst):
    """Least-squares similarity transform (Umeyama 1991, no reflection)
    mapping points ``src`` onto ``dst``; returns a 2x3 matrix."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2:
        raise ValueError(f'need two (N, 2) point arrays of the same shape, '
                         f'got {src.shape} and {dst.shape}')
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    src_var = (src_c**2).sum() / len(src)
    if src_var < 1e-12:
        raise ValueError('source landmarks are all at one point')
    cov = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1  # a reflection is not a face pose: flip the last axis
    rotation = u @ np.diag(sign) @ vt
    scale = (singular * sign).sum() / src_var
    translation = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, translation[:, None]])


def arcface_template(size=112, margin=1.0):
    """ArcFace landmarks for a ``size`` x ``size`` crop; ``margin`` > 1 zooms
    out about the crop centre (more context around the face)."""
    if margin <= 0:
        raise ValueError(f'margin must be > 0, got {margin}')
    centre = 112 / 2
    return ((ARCFACE_TEMPLATE_112 - centre) / margin + centre) * (size / 112)


def align_face(image, landmarks5, size=112, margin=1.0):
    """Warp ``image`` so that ``landmarks5`` (ArcFace order, (5, 2)) land on
    the ArcFace template; returns a ``size`` x ``size`` crop."""
    landmarks5 = np.asarray(landmarks5, dtype=np.float64)
    if landmarks5.shape != (5, 2):
        raise ValueError(f'expected (5, 2) landmarks, got {landmarks5.shape}')
    matrix = estimate_similarity_transform(landmarks5,
                                           arcface_template(size, margin))
    return cv2.warpAffine(image, matrix, (size, size),
                          flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
