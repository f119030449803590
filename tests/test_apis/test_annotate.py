"""Annotated copies of scored frames."""
import cv2
import numpy as np

from qcdet.apis import FAKE_COLOR, REAL_COLOR, MediaAnnotator, draw_face_score


def test_box_colour_follows_the_threshold():
    frame = np.zeros((100, 120, 3), np.uint8)
    box = np.array([20., 30., 70., 90.])
    fake = draw_face_score(frame, 0.8, box, threshold=0.5)
    real = draw_face_score(frame, 0.3, box, threshold=0.5)
    assert tuple(fake[60, 20]) == FAKE_COLOR  # left edge of the box
    assert tuple(real[60, 20]) == REAL_COLOR
    assert tuple(fake[60, 45]) == (0, 0, 0)  # inside stays untouched
    assert not frame.any()  # the input is not drawn on


def test_video_gives_an_mp4_and_a_still_with_a_face(tmp_path):
    annotator = MediaAnnotator(tmp_path / 'clip', 'video', threshold=0.5)
    frame = np.zeros((64, 80, 3), np.uint8)
    annotator.on_frame(0, frame, None, None)
    annotator.on_frame(5, frame, 0.9, np.array([10., 10., 40., 50.]))
    annotator.close()
    assert sorted(annotator.paths) == [str(tmp_path / 'clip.mp4'),
                                       str(tmp_path / 'clip.png')]
    capture = cv2.VideoCapture(str(tmp_path / 'clip.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 2
    capture.release()
    still = cv2.imread(str(tmp_path / 'clip.png'))
    assert tuple(still[30, 10]) == FAKE_COLOR  # the frame with the face
