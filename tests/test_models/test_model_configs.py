"""Every model config under configs/_base_/models builds, its head fits its
backbone, and its data preprocessor comes from the one preprocessor base."""
import ast
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from qcdet.models import DeepfakeDetector
from qcdet.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / \
    'models'
PREPROCESSOR = CONFIG_DIR / 'data_preprocessor.py'
CONFIGS = sorted(p for p in CONFIG_DIR.glob('*.py') if p != PREPROCESSOR)


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


def bases(path):
    """Every file `path` inherits, through `_base_`, recursively."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == '_base_':
            for base in ast.literal_eval(node.value):
                base = (path.parent / base).resolve()
                yield base
                yield from bases(base)


@pytest.mark.parametrize('config_path', CONFIGS, ids=lambda p: p.stem)
def test_data_preprocessor_comes_from_the_one_base(config_path):
    assert PREPROCESSOR in set(bases(config_path))
    assert 'DeepfakeDataPreprocessor' not in config_path.read_text()
    preprocessor = Config.fromfile(config_path).model.data_preprocessor
    # the GPU settings are on for the FF++ backbones, off for the CPU ones
    cpu = config_path.stem.endswith(('mobilenetv3_small', 'clip_vit_tiny'))
    assert preprocessor.channels_last is preprocessor.non_blocking is \
        (not cpu)
