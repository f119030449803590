"""CORE, RECCE and UCF train through tools/train.py on the demo data with
and without the quality-centric block, and the example project's backbone
trains from outside the package (no change to qcdet/).

The seven one-epoch trainings run one after another in a single Python
process (tools/train.py executed as ``__main__`` with its own argv each
time), which saves six interpreter start-ups and imports."""
import json
import sys
from pathlib import Path

import pytest

from qcdet.offline.static_quality import score_annotation

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

ALGORITHMS = ('core', 'recce', 'ucf')
# training-log keys each detector adds to the usual loss and acc

EXTRA_LOG_KEYS = {
    'core': {'loss_cls_view2', 'loss_consistency'},
    'recce': {'loss_reconstruction', 'loss_metric'},
    # acc_specific only appears when the demo's method names reach the model
    'ucf': {'loss_specific', 'acc_specific', 'loss_reconstruction',
            'loss_contrastive'},
}
EXAMPLE = 'projects/example_backbone/configs/tinynet_1xb32_12e_demo.py'

RUN_ALL = '''
import runpy, sys
for argv in {runs!r}:
    print('=== training', argv[0], flush=True)
    sys.argv = ['tools/train.py'] + argv
    runpy.run_path('tools/train.py', run_name='__main__')
'''


def demo_config(algorithm, qc):
    prefix = 'qc_' if qc else ''
    return (f'configs/{algorithm}/{prefix}{algorithm}_mobilenetv3_'
            '1xb32_12e_demo.py')


@pytest.fixture(scope='module')
def trained(demo_root, tmp_path_factory, cli):
    """Work dir of every config, each trained for one epoch."""
    static = demo_root / 'annotations' / 'train_static.json'
    if not static.exists():
        score_annotation(str(demo_root / 'annotations' / 'train.json'),
                         str(static), dict(type='SSIMSimilarityEvaluator'),
                         progress=False)
    root = tmp_path_factory.mktemp('zoo_b')
    configs = [demo_config(a, qc) for a in ALGORITHMS
               for qc in (False, True)] + [EXAMPLE]
    work_dirs, runs = {}, []
    for i, config in enumerate(configs):
        work_dirs[config] = root / str(i)
        runs.append([config, '--work-dir', str(work_dirs[config])] +
                    cli.cfg_options(demo_root, **{'train_cfg.max_epochs': 1}))
    log = cli.run([sys.executable, '-c', RUN_ALL.format(runs=runs)])
    return work_dirs, log


def checkpoints(work_dir):
    return sorted(p.name for p in work_dir.glob('epoch_*.pth'))


def log_records(work_dir):
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert logs, f'no scalar log under {work_dir}'
    return [json.loads(line) for line in logs[-1].read_text().splitlines()]


def validation_auc(work_dir):
    return [r['frame_auc'] for r in log_records(work_dir) if 'frame_auc' in r]


@pytest.mark.parametrize('algorithm', ALGORITHMS)
def test_demo_config_trains(algorithm, trained):
    work_dir = trained[0][demo_config(algorithm, qc=False)]
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert len(validation_auc(work_dir)) == 1
    train_records = [r for r in log_records(work_dir) if 'loss' in r]
    assert train_records
    assert EXTRA_LOG_KEYS[algorithm] <= set(train_records[0])


@pytest.mark.parametrize('algorithm', ALGORITHMS)
def test_qc_demo_config_trains_and_feeds_the_quality_hook(
        algorithm, trained):
    work_dir = trained[0][demo_config(algorithm, qc=True)]
    assert checkpoints(work_dir) == ['epoch_1.pth']
    scores = json.loads((work_dir / 'quality' / 'epoch_1.json').read_text())
    # the detector's per-sample feedback reached the quality hook
    dynamic = scores['samples']['dynamic']
    assert dynamic and any(d is not None for d in dynamic)
    assert all(s is not None for s in scores['samples']['static'])


def test_example_project_backbone_trains(trained):
    work_dir = trained[0][EXAMPLE]
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert len(validation_auc(work_dir)) == 1
    # the model really is the out-of-package backbone
    config = sorted(work_dir.glob('*/vis_data/config.py'))[-1].read_text()
    assert "type='ExampleTinyNet'" in config


def test_example_backbone_loads_weights_with_pretrained_init_cfg(tmp_path):
    import importlib

    import torch

    from qcdet.registry import MODELS
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    importlib.import_module('projects.example_backbone.tiny_net')

    torch.manual_seed(0)
    source = MODELS.build(dict(type='ExampleTinyNet', channels=(4, 8)))
    checkpoint = tmp_path / 'tiny.pth'
    torch.save(source.state_dict(), checkpoint)

    torch.manual_seed(1)
    loaded = MODELS.build(
        dict(type='ExampleTinyNet', channels=(4, 8),
             init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint))))
    weight = loaded.stages[0][0].weight
    assert not torch.equal(weight, source.stages[0][0].weight)
    loaded.init_weights()
    assert torch.equal(weight, source.stages[0][0].weight)
    x = torch.randn(1, 3, 16, 16)
    assert loaded(x)[0].shape == (1, 8, 4, 4)
