import numpy as np
import pytest
from preprocess_videos import face_clip

from qcdet.faces import FaceCropper, FaceDetection
from qcdet.offline.face_crops import FaceLocator, select_face


def det(x1, y1, x2, y2):
    return FaceDetection(box=np.array([x1, y1, x2, y2], float), score=1.0)


def test_select_face_prefers_the_masked_face_over_the_largest():
    big, small = det(0, 0, 100, 100), det(150, 0, 200, 50)
    mask = np.zeros((120, 220), np.uint8)
    assert select_face([big, small], None) is big
    assert select_face([big, small], mask) is big  # empty mask: largest
    mask[10:40, 160:190] = 255
    assert select_face([big, small], mask) is small
    assert select_face([], mask) is None


@pytest.fixture(scope='module')
def locator():
    return FaceLocator(FaceCropper('dlib', size=64))


def test_mask_picks_the_manipulated_person(locator):
    """Two people: the mask video of the fake says which one to crop."""
    left, _ = face_clip(seed=5, num_frames=1, size=160)
    right, _ = face_clip(seed=6, num_frames=1, size=128)
    frame = np.zeros((160, 288, 3), np.uint8)
    frame[:, :160] = left[0]
    frame[16:144, 160:] = right[0]
    assert locator(frame).box[0] < 160  # no mask: the larger, left face
    mask = np.zeros(frame.shape[:2], np.uint8)
    mask[40:120, 190:260] = 255
    face = locator(frame, mask)
    assert face.box[0] >= 150
    assert face.landmarks.shape == (5, 2) and face.landmarks[:, 0].min() > 160
