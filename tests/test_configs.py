"""Every leaf config loads, takes the usual overrides and builds its model."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from qcdet.registry import DATA_SAMPLERS, HOOKS, MODELS, TRANSFORMS

CONFIGS = sorted(p for p in (Path(__file__).parents[1] / 'configs').rglob(
    '*.py') if '_base_' not in p.parts)


def test_there_are_leaf_configs():
    names = {p.name for p in CONFIGS}
    assert {'baseline_demo.py', 'baseline_xception_ffpp.py',
            'baseline_effnet_ffpp.py', 'qc_demo.py', 'qc_effnet_ffpp.py',
            'qc_xception_ffpp.py'} <= names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_loads_overrides_and_resolves_types(path):
    cfg = Config.fromfile(str(path))
    cfg.merge_from_dict({'train_cfg.max_epochs': 3})
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.default_scope == 'qcdet'
    # the checkpoint is chosen on the validation split
    assert 'test' not in cfg.val_dataloader.dataset.ann_file
    with DefaultScope.overwrite_default_scope('qcdet'):
        for t in cfg.train_dataloader.dataset.pipeline + \
                cfg.test_dataloader.dataset.pipeline:
            assert TRANSFORMS.get(t['type']) is not None, t['type']
        assert DATA_SAMPLERS.get(cfg.train_dataloader.sampler.type)
        for hook in cfg.get('custom_hooks', []):
            assert HOOKS.get(hook['type']) is not None
        assert MODELS.get(cfg.model.type) is not None


def baseline_twin(qc_path):
    """configs/qc_X.py -> configs/baseline_X.py; configs/A/qc_N.py ->
    configs/A/N.py."""
    name = qc_path.name[len('qc_'):]
    twin = qc_path.with_name(name)
    return twin if twin.exists() else qc_path.with_name('baseline_' + name)


QC_CONFIGS = [p for p in CONFIGS
              if p.name.startswith('qc_') and baseline_twin(p).exists()]


def test_every_detector_has_a_qc_twin():
    assert len(QC_CONFIGS) >= 3 + 2 * 6  # 3 baselines + the zoo's 6 x 2


@pytest.mark.parametrize('qc_path', QC_CONFIGS, ids=lambda p: p.name)
def test_qc_config_differs_from_its_baseline_only_by_the_qc_block(qc_path):
    base = Config.fromfile(str(baseline_twin(qc_path)))
    qc = Config.fromfile(str(qc_path))
    assert qc.model == base.model
    # ... and by reading the train annotations that carry static scores
    assert qc.train_dataloader.dataset.pop('ann_file') == \
        'annotations/train_static.json'
    base.train_dataloader.dataset.pop('ann_file')
    assert qc.train_dataloader.dataset == base.train_dataloader.dataset
    assert qc.train_dataloader.sampler.type == 'QualityCurriculumSampler'
    assert [h.type for h in qc.custom_hooks] == ['QualityScoreHook']


@pytest.mark.parametrize('name', ['ffpp_c23', 'celebdf_v2', 'dfdc', 'dfdcp',
                                  'dfd', 'demo'])
def test_dataset_blocks_define_a_test_set_under_their_data_root(name):
    cfg = Config.fromfile(f'configs/_base_/datasets/{name}.py')
    dataset = cfg.test_dataloader.dataset
    assert dataset.data_root == cfg.data_root
    assert dataset.ann_file == 'annotations/test.json'
    assert dataset.test_mode and cfg.test_evaluator.type == 'DeepfakeMetric'


FFPP_CONFIGS = [p for p in CONFIGS if p.stem.endswith('_ffpp')]


@pytest.mark.parametrize('path', FFPP_CONFIGS, ids=lambda p: p.name)
def test_ffpp_configs_hold_the_gpu_settings(path):
    cfg = Config.fromfile(str(path))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.env_cfg.cudnn_benchmark
    assert cfg.model.data_preprocessor.channels_last
    for loader in (cfg.train_dataloader, cfg.val_dataloader,
                   cfg.test_dataloader):
        assert loader.pin_memory and loader.persistent_workers
        assert loader.num_workers >= 8


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if p not in FFPP_CONFIGS],
    ids=lambda p: p.name)
def test_other_configs_keep_to_what_a_cpu_runs(path):
    # the demo configs run on CPU: no AMP (MMEngine refuses it there)
    cfg = Config.fromfile(str(path))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'
    assert not cfg.model.data_preprocessor.get('channels_last', False)
