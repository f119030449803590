import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Research media read in place from ../shared/data (never copied)."""
    env = os.environ.get('QCDET_SHARED_DATA')
    return Path(env) if env else REPO_ROOT.parent / 'shared' / 'data'


@pytest.fixture
def shared_data():
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f'shared research data not found at {path}')
    return path


@pytest.fixture(autouse=True, scope='session')
def _qcdet_scope():
    from mmengine.registry import init_default_scope
    init_default_scope('qcdet')
