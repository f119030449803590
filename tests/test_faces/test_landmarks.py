import numpy as np
import pytest
from face_frames import original_video, read_frames

from qcdet.faces import (
    DlibHOGDetector,
    DlibLandmarkPredictor,
    landmarks68_to_arcface5,
)

pytest.importorskip('dlib', reason='dlib-bin is not installed')
pytest.importorskip('face_recognition_models',
                    reason='face_recognition_models is not installed')


@pytest.fixture(scope='module')
def frame_and_box():
    frame = read_frames(original_video('004'), [100])[0]
    return frame, DlibHOGDetector(upsample_num_times=0)(frame)[0].box


def test_five_points_lie_in_the_face(frame_and_box):
    frame, box = frame_and_box
    points = DlibLandmarkPredictor(5)(frame, box)
    assert points.shape == (5, 2)
    x1, y1, x2, y2 = box
    margin = 0.1 * (x2 - x1)
    assert (points[:, 0] > x1 - margin).all()
    assert (points[:, 0] < x2 + margin).all()
    # dlib order: image-right eye (outer, inner), image-left eye (outer,
    # inner), nose base below the eyes
    assert points[0, 0] > points[1, 0] > points[3, 0] > points[2, 0]
    assert points[4, 1] > points[:4, 1].max()


def test_68_points_to_arcface5(frame_and_box):
    frame, box = frame_and_box
    points = landmarks68_to_arcface5(DlibLandmarkPredictor(68)(frame, box))
    left_eye, right_eye, nose, left_mouth, right_mouth = points
    assert left_eye[0] < right_eye[0] and left_mouth[0] < right_mouth[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(
        left_mouth[1], right_mouth[1])


def test_bad_arguments():
    with pytest.raises(ValueError, match='5 or 68'):
        DlibLandmarkPredictor(7)
    with pytest.raises(ValueError, match='68, 2'):
        landmarks68_to_arcface5(np.zeros((5, 2)))
