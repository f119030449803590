"""Helpers for the end-to-end tests that run the command-line tools."""
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from qcdet.offline.synthetic_data.generate import generate_demo_dataset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    generate_demo_dataset(str(root),
                          seed=0,
                          num_identities=10,
                          videos_per_identity=1,
                          frames_per_video=3,
                          size=32)
    return root


def cfg_options(data_root, **extra):
    opts = dict(extra)
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.dataset.data_root'] = str(data_root)
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    opts.setdefault('default_hooks.logger.interval', 1)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def run(args, timeout=600, **env_vars):
    env = dict(os.environ,
               PYTHONPATH=str(REPO),
               OMP_NUM_THREADS='1',
               **env_vars)
    proc = subprocess.run(args,
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def train(config, work_dir, data_root, *extra_args, **opts):
    return run([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(work_dir), *extra_args, *cfg_options(data_root, **opts)
    ])


def last_json(text):
    start = text.rindex('{\n')
    return json.loads(text[start:text.index('}', start) + 1])


@pytest.fixture(scope='session')
def cli():
    return SimpleNamespace(run=run,
                           train=train,
                           cfg_options=cfg_options,
                           last_json=last_json,
                           python=sys.executable)
