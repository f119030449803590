"""The one 2x3 affine point map: what cv2.warpAffine does to pixels it does
to points, and the training path reaches it without the face stack."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from qcdet.faces import transform_points as faces_transform_points
from qcdet.utils.geometry import transform_points


def test_points_land_where_warp_affine_moves_their_pixels():
    matrix = cv2.getRotationMatrix2D((20., 14.), 30., 1.5)
    matrix[:, 2] += (3., -2.)
    points = np.array([[16, 12], [23, 10], [19, 17]])
    for (x, y), (mx, my) in zip(points, transform_points(points, matrix)):
        single = np.zeros((40, 40), np.float32)
        single[y, x] = 1.
        moved = cv2.warpAffine(single, matrix, (40, 40),
                               flags=cv2.INTER_LINEAR)
        yy, xx = np.mgrid[:40, :40]
        centre = (moved * xx).sum() / moved.sum(), \
            (moved * yy).sum() / moved.sum()
        assert np.allclose(centre, (mx, my), atol=0.1)


def test_one_implementation_and_bad_shapes_are_refused():
    assert faces_transform_points is transform_points
    with pytest.raises(ValueError, match=r'\(N, 2\) points'):
        transform_points(np.zeros((3, 3)), np.eye(2, 3))
    with pytest.raises(ValueError, match='2x3 affine'):
        transform_points(np.zeros((3, 2)), np.eye(3))


def test_training_transforms_do_not_import_the_face_stack():
    code = ('import sys, qcdet.datasets.transforms.self_blend, '
            'qcdet.utils.geometry; '
            "print('qcdet.faces' in sys.modules)")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'False'
