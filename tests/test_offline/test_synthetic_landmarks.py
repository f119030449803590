"""The demo faces' 68 landmarks: written for every frame, iBUG-ordered, on
the drawn face, moving with it; their hull covers the face from brows to
chin (what SelfBlend needs)."""
import dataclasses
import json

import cv2
import numpy as np
import pytest

from qcdet.offline.synthetic_data import (
    SPLITS,
    generate_demo_dataset,
    render_frame,
    sample_identity,
    sample_poses,
)
from qcdet.offline.synthetic_data.faces import face_landmarks


def _frame(i, size=64, **pose_changes):
    identity = sample_identity(np.random.default_rng(300 + i))
    pose = sample_poses(np.random.default_rng(400 + i), 3, size)[1]
    pose = dataclasses.replace(pose, **pose_changes)
    return render_frame(identity, pose, size, noise_sigma=2.0,
                        rng=np.random.default_rng(i))


def _hull(points, size):
    mask = np.zeros((size, size), np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(
        np.round(points * 16).astype(np.int32)), 1, cv2.LINE_8, 4)
    return mask.astype(bool)


def test_every_record_has_68_landmarks_and_fakes_share_their_pairs(
        tmp_path):
    generate_demo_dataset(tmp_path, seed=2, num_identities=4,
                          frames_per_video=2, size=48)
    for split in SPLITS:
        ann = json.loads((tmp_path / 'annotations' /
                          f'{split}.json').read_text())
        by_path = {r['img_path']: r for r in ann['data_list']}
        for record in ann['data_list']:
            points = np.asarray(record['landmarks'])
            assert points.shape == (68, 2)
            assert (points > -1).all() and (points < 48).all()
            # 2 decimals, as tools/data/preprocess.py --landmarks writes
            assert np.allclose(points, np.round(points, 2))
            if record['label'] == 1:
                assert record['landmarks'] == \
                    by_path[record['pair_path']]['landmarks']


@pytest.mark.parametrize('i', range(6))
def test_hull_covers_the_face_from_brows_to_chin(i):
    frame = _frame(i)
    hull = _hull(frame.landmarks, 64)
    masks = frame.masks
    for name, share in (('mouth', 0.97), ('inner', 0.9)):
        assert masks[name][hull].sum() / masks[name].sum() > share, name
    # on the face, not the background
    assert (masks['head'][hull] > 0.5).mean() > 0.95
    assert hull.sum() > 0.2 * 64 * 64


def test_landmarks_are_in_ibug_order_on_the_drawn_face():
    points = _frame(0, blink=0.0, mouth_open=0.5).landmarks
    jaw, brows = points[:17], points[17:27]
    # image-left first; the chin is the jaw's lowest point
    assert points[0, 0] < points[8, 0] < points[16, 0]
    assert np.argmax(jaw[:, 1]) == 8
    assert brows[:, 1].max() < points[36:48, 1].min()  # brows above eyes
    assert points[36:42, 0].mean() < points[42:48, 0].mean()
    assert points[30, 1] > points[27, 1]  # the bridge runs down to the tip
    assert points[48, 0] < points[54, 0] and points[57, 1] > points[51, 1]
    # an open mouth opens the inner lips, a blink closes the eyes
    assert points[66, 1] - points[62, 1] > 1.0
    closed = _frame(0, blink=1.0, mouth_open=0.0).landmarks
    assert abs(closed[41, 1] - closed[37, 1]) < abs(points[41, 1] -
                                                     points[37, 1])
    assert abs(closed[66, 1] - closed[62, 1]) < 0.1


def test_landmarks_move_with_the_pose():
    base = _frame(1, dx=0.0, dy=0.0, angle=0.0)
    moved = _frame(1, dx=3.0, dy=-2.0, angle=0.0)
    np.testing.assert_allclose(moved.landmarks - base.landmarks,
                               np.tile([3.0, -2.0], (68, 1)), atol=1e-3)
    # the same points at another size, scaled
    small = face_landmarks(base.identity, base.pose, 32)
    np.testing.assert_allclose((small + 0.5) * 2 - 0.5, base.landmarks,
                               atol=0.6)
