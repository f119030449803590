"""tools/train.py's OpenMMLab options: --auto-scale-lr scales the learning
rate by MMEngine's rule, --vis-backends logs to TensorBoard, and a config
that cannot run here (AMP without a GPU) stops at once with the way out."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def scalars(work_dir):
    (path, ) = work_dir.glob('*/vis_data/scalars.json')
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_auto_scale_lr_and_tensorboard(cli, demo_root, tmp_path):
    work = tmp_path / 'run'
    cli.train('configs/baseline_demo.py', work, demo_root, '--auto-scale-lr',
              '--vis-backends', 'local', 'tensorboard',
              **{'train_cfg.max_epochs': 1,
                 'train_dataloader.batch_size': 8})
    # one process x batch 8 against the config's base batch size 32
    learning_rates = {round(r['lr'], 12) for r in scalars(work) if 'lr' in r}
    assert learning_rates == {1e-3 * 8 / 32}

    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )
    (events, ) = work.glob('*/vis_data/events.out.tfevents.*')
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    losses = accumulator.Scalars('loss')
    assert len(losses) == len([r for r in scalars(work) if 'loss' in r])
    assert all(torch.isfinite(torch.tensor(e.value)) for e in losses)


def run_train(*args):
    return subprocess.run([sys.executable, 'tools/train.py', *args],
                          cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_auto_scale_lr_needs_a_base_batch_size(tmp_path):
    result = run_train('configs/baseline_demo.py', '--work-dir',
                       str(tmp_path), '--auto-scale-lr', '--cfg-options',
                       'auto_scale_lr.base_batch_size=0')
    assert result.returncode == 1
    assert 'sets no auto_scale_lr.base_batch_size' in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU runs AMP')
def test_amp_config_without_a_gpu_says_how_to_train_in_fp32(tmp_path):
    result = run_train('configs/qc_effnet_ffpp.py', '--work-dir',
                       str(tmp_path), '--cfg-options',
                       'model.backbone.init_cfg=None')
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    assert '--cfg-options optim_wrapper.type=OptimWrapper' in result.stderr


@pytest.mark.skipif(importlib.util.find_spec('wandb') is not None,
                    reason='wandb is installed')
def test_wandb_backend_without_wandb_names_the_package(tmp_path):
    result = run_train('configs/baseline_demo.py', '--work-dir',
                       str(tmp_path), '--vis-backends', 'wandb')
    assert result.returncode == 1
    assert 'pip install wandb' in result.stderr
