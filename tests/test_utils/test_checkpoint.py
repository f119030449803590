import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from qcdet.utils.checkpoint import (
    UnsafeCheckpointError,
    use_safe_checkpoint_loading,
)


@pytest.fixture(autouse=True)
def _safe_loading():
    use_safe_checkpoint_loading()  # what qcdet's tools do first


def test_importing_qcdet_leaves_mmengine_alone():
    """Only a tool (or the user) switches MMEngine's loader, not an
    import."""
    code = ('import qcdet, qcdet.models, qcdet.datasets, qcdet.engine, '
            'qcdet.evaluation, qcdet.apis, qcdet.utils\n'
            'from mmengine.runner.checkpoint import CheckpointLoader\n'
            'loader = CheckpointLoader._schemes[""]\n'
            'assert loader.__module__.startswith("mmengine"), loader\n'
            'from qcdet.utils.checkpoint import use_safe_checkpoint_loading\n'
            'use_safe_checkpoint_loading()\n'
            'assert CheckpointLoader._schemes[""].__module__ == '
            '"qcdet.utils.checkpoint"\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def test_loads_mmengine_style_checkpoint_with_numpy_and_history(tmp_path):
    buf = HistoryBuffer()
    buf.update(0.5)
    # a fresh process has no HistoryBuffer yet when it unpickles one
    HistoryBuffer._statistics_methods.clear()
    ckpt = dict(state_dict={'w': torch.ones(2)},
                meta=dict(seed=np.int64(3), arr=np.arange(3, dtype=np.float32),
                          epoch=1),
                message_hub=dict(log_scalars={'loss': buf}))
    path = tmp_path / 'epoch_1.pth'
    torch.save(ckpt, path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3))
    assert loaded['message_hub']['log_scalars']['loss'].current() == 0.5


class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_refuses_arbitrary_pickled_code(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Evil()}, path)
    with pytest.raises(UnsafeCheckpointError, match='Refusing to load'):
        _load_checkpoint(str(path), map_location='cpu')


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        _load_checkpoint('/nonexistent/ckpt.pth')


class SneakyGetattr:
    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_getattr_is_allowed_only_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'x': SneakyGetattr()}, path)
    with pytest.raises(UnsafeCheckpointError, match='not allowed'):
        _load_checkpoint(str(path), map_location='cpu')
