"""DeepfakeInferencer on real FF++ frames, faceless and broken inputs."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.runner import save_checkpoint

from qcdet.apis import (
    DeepfakeInferencer,
    crop_size_from_cfg,
    list_media,
    sample_frame_indices,
)
from qcdet.faces import FaceCropper
from qcdet.registry import MODELS

CONFIG = 'configs/baseline_demo.py'
FFPP_VIDEO = ('icpr2020dfdc/ffpp/original_sequences/youtube/c23/videos/'
              '004.mp4')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A randomly initialised demo detector saved as an MMEngine
    checkpoint; its head is scaled up so that scores differ clearly between
    faces (a fresh head gives ~0.5 everywhere)."""
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    model.head.fc.weight.data *= 200
    path = tmp_path_factory.mktemp('ckpt') / 'random.pth'
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), str(path))
    return path


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    return DeepfakeInferencer(CONFIG, str(checkpoint), device='cpu',
                              detector='retinaface', num_frames=3)


def ffpp_video(shared_data):
    path = shared_data / FFPP_VIDEO
    if not path.is_file():
        pytest.skip(f'shared FF++ video absent: {path}')
    return path


def test_sample_frame_indices():
    assert sample_frame_indices(309, 3) == [0, 154, 308]
    assert sample_frame_indices(2, 5) == [0, 1]
    assert sample_frame_indices(0, 5) == []
    assert len(sample_frame_indices(1000, 32)) == 32


def test_crop_size_follows_the_test_pipeline():
    cfg = Config.fromfile(CONFIG)
    assert crop_size_from_cfg(cfg) == cfg.img_size == 64
    cfg.test_dataloader.dataset.pipeline = [dict(type='LoadFrame')]
    assert crop_size_from_cfg(cfg) == 256


def test_list_media_skips_other_files(tmp_path):
    (tmp_path / 'sub').mkdir()
    for name in ('b.mp4', 'sub/a.PNG', 'notes.txt'):
        (tmp_path / name).write_bytes(b'x')
    assert list_media([tmp_path]) == [tmp_path / 'b.mp4',
                                      tmp_path / 'sub' / 'a.PNG']


def test_score_matches_the_dataset_path(inferencer, checkpoint, shared_data,
                                        tmp_path):
    """A crop fed as ``img`` scores as the same crop loaded from disk by the
    full test pipeline (what testing on preprocessed data does)."""
    capture = cv2.VideoCapture(str(ffpp_video(shared_data)))
    ok, frame = capture.read()
    capture.release()
    assert ok
    score, box = inferencer.score_frame(frame)
    assert score is not None and 0.0 <= score <= 1.0

    crop = FaceCropper('retinaface', size=64, margin=1.3).crop(frame)
    np.testing.assert_allclose(box, crop.box)
    cv2.imwrite(str(tmp_path / 'crop.png'), crop.image)
    cfg = Config.fromfile(CONFIG)
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    data = pipeline(dict(img_path=str(tmp_path / 'crop.png'), label=0))
    expected = inferencer.model.test_step(pseudo_collate([data]))[0]
    assert score == pytest.approx(float(expected.pred_score[1]), abs=1e-6)


def test_video_record_and_aggregation(inferencer, shared_data):
    video = ffpp_video(shared_data)
    record = inferencer(video)
    assert record['type'] == 'video' and record['reason'] is None
    assert [f['frame_idx'] for f in record['frame_scores']] == [0, 154, 308]
    assert record['frames_used'] == 3 and record['faces_found'] == 3
    scores = [f['score'] for f in record['frame_scores']]
    assert max(scores) - min(scores) > 1e-3  # max differs from the mean
    assert record['score'] == pytest.approx(np.mean(scores))
    assert record['label'] == ('fake' if record['score'] > 0.5 else 'real')

    inferencer.aggregation = 'max'
    try:
        assert inferencer(video)['score'] == pytest.approx(max(scores))
    finally:
        inferencer.aggregation = 'mean'


def test_faceless_corrupt_and_missing_inputs(inferencer, tmp_path):
    blank = tmp_path / 'blank.png'
    cv2.imwrite(str(blank), np.full((96, 128, 3), 127, np.uint8))
    record = inferencer(blank)
    assert record['type'] == 'image' and record['score'] is None
    assert record['frames_used'] == 1 and record['faces_found'] == 0
    assert 'no face' in record['reason']

    for name in ('broken.mp4', 'broken.jpg', 'broken.bin'):
        (tmp_path / name).write_bytes(b'not media at all')
        record = inferencer(tmp_path / name)
        assert record['score'] is None and record['frames_used'] == 0
        assert 'cannot' in record['reason'] and name in record['reason']

    record = inferencer(tmp_path / 'absent.mp4')
    assert record['score'] is None and 'not found' in record['reason']


def test_bad_arguments(checkpoint):
    with pytest.raises(ValueError, match='aggregation'):
        DeepfakeInferencer(CONFIG, str(checkpoint), aggregation='median')
