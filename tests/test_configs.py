"""Every leaf config loads, takes the usual overrides and builds its model;
every name follows configs/README.md's scheme, and the README lists it."""
import ast
import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from qcdet.registry import DATA_SAMPLERS, HOOKS, MODELS, TRANSFORMS

CONFIG_DIR = Path(__file__).parents[1] / 'configs'
CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py')
                 if '_base_' not in p.parts)
# the short paths the README and docs name, each a one-line config that
# inherits the scheme's file
ALIASES = sorted(CONFIG_DIR.glob('*.py'))
SCHEMED = [p for p in CONFIGS if p not in ALIASES]
# configs/README.md: configs/<algo>/[qc_]<algo>[_<part>...]_<N>xb<M>_<E>e_
# <data>.py, where the parts name the backbone and the variant
SCHEME = r'(qc_)?{algo}(_[a-z0-9]+)*_\d+xb\d+_\d+e_(ffpp|demo)\.py'


def rel(path):
    return str(path.relative_to(CONFIG_DIR))


def test_there_are_leaf_configs():
    names = {rel(p) for p in CONFIGS}
    assert {'baseline_demo.py', 'baseline_xception_ffpp.py',
            'baseline_effnet_ffpp.py', 'qc_demo.py', 'qc_effnet_ffpp.py',
            'qc_xception_ffpp.py',
            'mobilenetv3/mobilenetv3_1xb32_12e_demo.py',
            'mobilenetv3/qc_mobilenetv3_1xb32_12e_demo.py',
            'efficientnet/qc_efficientnet_b4_1xb32_10e_ffpp.py',
            'xception/xception_1xb32_10e_ffpp.py'} <= names
    assert len(SCHEMED) >= 2 * (3 + 6 + 3 + 1) + 7


@pytest.mark.parametrize('path', SCHEMED, ids=rel)
def test_config_name_follows_the_scheme(path):
    assert len(path.relative_to(CONFIG_DIR).parts) == 2, \
        'a config sits in configs/<algo>/'
    algo = path.parent.name
    assert re.fullmatch(SCHEME.format(algo=algo), path.name), \
        f'{rel(path)} does not follow configs/README.md\'s naming scheme'


def base_of(path):
    """The `_base_` list a config file writes."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == '_base_':
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else value
    return []


@pytest.mark.parametrize('path', ALIASES, ids=rel)
def test_root_config_is_one_line_inheriting_the_schemes_file(path):
    assert len(path.read_text().splitlines()) == 1
    (target, ) = base_of(path)
    target = (CONFIG_DIR / target).resolve()
    assert target in SCHEMED
    assert Config.fromfile(str(path)).to_dict() == \
        Config.fromfile(str(target)).to_dict()


def test_configs_readme_lists_every_config():
    readme = (CONFIG_DIR / 'README.md').read_text()
    listed = set(re.findall(r'`([\w/]+\.py)`', readme))
    missing = [rel(p) for p in CONFIGS if rel(p) not in listed]
    assert not missing, f'configs/README.md does not list {missing}'
    bases = [rel(p) for p in CONFIG_DIR.rglob('_base_/**/*.py')
             if rel(p) not in listed]
    assert not bases, f'configs/README.md does not list {bases}'


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
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
    """configs/A/qc_N.py -> configs/A/N.py; configs/qc_X.py (the short
    paths) -> configs/baseline_X.py."""
    name = qc_path.name[len('qc_'):]
    twin = qc_path.with_name(name)
    return twin if twin.exists() else qc_path.with_name('baseline_' + name)


QC_CONFIGS = [p for p in CONFIGS
              if p.name.startswith('qc_') and baseline_twin(p).exists()]


def test_every_detector_has_a_qc_twin():
    plain = [p for p in SCHEMED if not p.name.startswith('qc_')]
    missing = [rel(p) for p in plain
               if not p.with_name('qc_' + p.name).exists()]
    assert not missing, f'no quality-centric twin of {missing}'
    # 3 short paths, 3 baselines, the zoo's 6 x 2
    assert len(QC_CONFIGS) >= 3 + 3 + 2 * 6


@pytest.mark.parametrize('qc_path', [p for p in QC_CONFIGS if p in SCHEMED],
                         ids=rel)
def test_qc_twin_is_three_lines_on_the_qc_base(qc_path):
    assert len(qc_path.read_text().splitlines()) <= 3
    assert base_of(qc_path) == [f'./{baseline_twin(qc_path).name}',
                                '../_base_/qc.py']


@pytest.mark.parametrize('qc_path', QC_CONFIGS, ids=rel)
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


@pytest.mark.parametrize('name', ['ffpp_c23', 'ffpp_c23_224', 'celebdf_v2',
                                  'dfdc', 'dfdcp', 'dfd', 'demo'])
def test_dataset_blocks_define_a_test_set_under_their_data_root(name):
    cfg = Config.fromfile(f'configs/_base_/datasets/{name}.py')
    dataset = cfg.test_dataloader.dataset
    assert dataset.data_root == cfg.data_root
    assert dataset.ann_file == 'annotations/test.json'
    assert dataset.test_mode and cfg.test_evaluator.type == 'DeepfakeMetric'


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_every_pipeline_resizes_to_the_configs_img_size(path):
    cfg = Config.fromfile(str(path))
    scales = {tuple(t.scale) for loader in ('train', 'val', 'test')
              for t in cfg[f'{loader}_dataloader'].dataset.pipeline
              if t.type == 'Resize'}
    assert scales == {(cfg.img_size, cfg.img_size)}


FFPP_CONFIGS = [p for p in CONFIGS if p.stem.endswith('_ffpp')]


@pytest.mark.parametrize('path', FFPP_CONFIGS, ids=rel)
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
    'path', [p for p in CONFIGS if p not in FFPP_CONFIGS], ids=rel)
def test_other_configs_keep_to_what_a_cpu_runs(path):
    # the demo configs run on CPU: no AMP (MMEngine refuses it there)
    cfg = Config.fromfile(str(path))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'
    assert not cfg.model.data_preprocessor.get('channels_last', False)
