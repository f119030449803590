"""Every model config under configs/_base_/models builds, and its head fits
its backbone."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from qcdet.models import DeepfakeDetector
from qcdet.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / \
    'models'
CONFIGS = sorted(CONFIG_DIR.glob('*.py'))


def build(config_path):
    init_default_scope('qcdet')
    return MODELS.build(Config.fromfile(config_path).model)


def test_expected_configs_exist():
    assert {p.stem for p in CONFIGS} >= {
        'xception', 'efficientnet_b4', 'mobilenetv3_small'
    }


@pytest.mark.parametrize('config_path', CONFIGS, ids=lambda p: p.stem)
def test_config_builds_with_matching_head(config_path):
    model = build(config_path)
    assert isinstance(model, DeepfakeDetector)
    if type(model) is DeepfakeDetector:
        # zoo detectors fuse or transform features first; their own tests
        # run them on a batch
        assert model.head.in_channels == model.backbone.out_channels
    assert type(model.data_preprocessor).__name__ == \
        'DeepfakeDataPreprocessor'


def test_small_config_runs_a_batch():
    model = build(CONFIG_DIR / 'mobilenetv3_small.py').eval()
    inputs = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)]
    data = model.data_preprocessor(dict(inputs=inputs))
    predictions = model(**data, mode='predict')
    assert predictions[0].pred_score.shape == (2, )
