"""Safe loading of local checkpoints on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True``; MMEngine's training
checkpoints carry numpy arrays and MMEngine's ``HistoryBuffer`` in their
``message_hub``, so resume and ``load_from`` fail with an UnpicklingError.
:func:`use_safe_checkpoint_loading` replaces MMEngine's loader for local
paths with one that keeps ``weights_only=True`` and allow-lists exactly those
types: MMEngine checkpoints load, arbitrary pickled code is still refused.
qcdet's tools and ``DeepfakeInferencer`` call it; importing qcdet does not
change MMEngine (call it in your own script before a Runner loads a
checkpoint).
"""
import os.path as osp
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

__all__ = ['SAFE_GLOBALS', 'UnsafeCheckpointError', 'load_local_checkpoint',
           'use_safe_checkpoint_loading']


def _numpy_globals():
    multiarray = np._core.multiarray
    dtypes = {type(np.dtype(c)) for c in np.typecodes['All'] if c not in 'M'}
    dtypes |= {type(np.dtype('datetime64[s]'))}
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *sorted(dtypes, key=lambda t: t.__name__)]


def _history_buffer_getattr(obj, name):
    """Stands in for ``getattr`` while unpickling: MMEngine's message hub
    pickles HistoryBuffer's statistics methods as ``getattr(HistoryBuffer,
    name)``; that lookup and nothing else is allowed."""
    allowed = {'min', 'max', 'current', 'mean',
               *HistoryBuffer._statistics_methods}
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


SAFE_GLOBALS = [*_numpy_globals(), HistoryBuffer,
                (_history_buffer_getattr, 'builtins.getattr')]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The checkpoint holds pickled objects outside qcdet's allow-list."""


def load_local_checkpoint(filename, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and qcdet's
    allow-list; refuse anything else with a clear message."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as e:
        raise UnsafeCheckpointError(
            f'Refusing to load {filename}: it contains pickled objects that '
            'are not plain weights, numpy arrays or MMEngine training state, '
            'so loading it could run arbitrary code. If you trust this file, '
            'convert it once with torch.load(..., weights_only=False) and '
            f'torch.save(state_dict). Details: {e}') from e


def use_safe_checkpoint_loading() -> None:
    """Make MMEngine load local checkpoints with
    :func:`load_local_checkpoint` (for this process; calling again is a
    no-op)."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
