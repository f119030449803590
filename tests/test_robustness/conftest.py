"""Shared set-up of the robustness tests: a tiny demo dataset, one QC config
with production-like data loading (2 persistent train workers), and helpers
that run the command-line tools."""
import json

import pytest
from mmengine.config import Config
from robust_helpers import MAX_EPOCHS, REPO, TEST_FRAMES, evaluate, train

from qcdet.offline.synthetic_data.generate import generate_demo_dataset


@pytest.fixture(scope='session')
def demo(tmp_path_factory):
    """90 train / 30 val frames, and an odd test set of 29 frames."""
    root = tmp_path_factory.mktemp('robust_demo')
    generate_demo_dataset(str(root), seed=0, num_identities=10,
                          videos_per_identity=1, frames_per_video=3,
                          size=32)
    ann = json.loads((root / 'annotations' / 'test.json').read_text())
    ann['data_list'] = ann['data_list'][:TEST_FRAMES]
    (root / 'annotations' / 'test_odd.json').write_text(json.dumps(ann))
    return root


@pytest.fixture(scope='session', params=['paced', 'selection'])
def qc_config(demo, tmp_path_factory, request):
    """configs/qc_demo.py on the tiny demo: deterministic CPU settings, 2
    persistent train workers as in production, dropout, the test-only kill
    hook; once per sampler mode (the shipped 'paced' and 'selection',
    which draws fakes with replacement and seeds each slot)."""
    cfg = Config.fromfile(str(REPO / 'configs' / 'qc_demo.py'))
    cfg.merge_from_dict({
        'train_dataloader.sampler.mode': request.param,
        'train_dataloader.dataset.data_root': str(demo),
        'train_dataloader.dataset.ann_file': 'annotations/train.json',
        'train_dataloader.batch_size': 16,
        'train_dataloader.num_workers': 2,
        'train_dataloader.persistent_workers': True,
        'val_dataloader.dataset.data_root': str(demo),
        'test_dataloader.dataset.data_root': str(demo),
        'test_dataloader.dataset.ann_file': 'annotations/test_odd.json',
        'test_dataloader.batch_size': 4,
        'train_cfg.max_epochs': MAX_EPOCHS,
        'randomness.seed': 0,
        'randomness.deterministic': True,
        'default_hooks.logger.interval': 1,
        # dropout: the main process draws random numbers too
        'model.head.dropout': 0.2,
    })
    for split in ('val', 'test'):  # evaluation has no randomness
        cfg[f'{split}_dataloader'].num_workers = 0
        cfg[f'{split}_dataloader'].persistent_workers = False
    cfg.custom_imports = dict(imports=['kill_hook'],
                              allow_failed_imports=False)
    cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='KillAtIterHook')]
    path = tmp_path_factory.mktemp('robust_cfg') / f'qc_{request.param}.py'
    cfg.dump(str(path))
    return path


@pytest.fixture(scope='session')
def single_run(qc_config, tmp_path_factory):
    """An uninterrupted 1-process QC run; its last checkpoint."""
    work = tmp_path_factory.mktemp('single')
    train(qc_config, work)
    return work


@pytest.fixture(scope='session')
def two_process_run(qc_config, tmp_path_factory):
    """The same run on one node with 2 processes of batch 8; its work dir
    and output."""
    work = tmp_path_factory.mktemp('dist')
    out = train(qc_config, work, '--cfg-options',
                'train_dataloader.batch_size=8', nproc=2)
    return work, out


@pytest.fixture(scope='session')
def single_test(qc_config, single_run, tmp_path_factory):
    """The 1-process test of the uninterrupted run's last checkpoint."""
    return evaluate(qc_config, single_run / f'epoch_{MAX_EPOCHS}.pth',
                tmp_path_factory.mktemp('single_test'))
