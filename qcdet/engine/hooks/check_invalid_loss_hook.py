"""Stops training at the first non-finite loss, naming where it happened."""
import math

import torch
from mmengine.hooks import Hook

from qcdet.registry import HOOKS

__all__ = ['CheckInvalidLossHook', 'InvalidLossError']


class InvalidLossError(FloatingPointError):
    """A training loss was NaN or infinite."""


def _sample_paths(data_batch, limit: int = 8) -> list:
    samples = (data_batch or {}).get('data_samples') or []
    paths = [s.metainfo.get('img_path', '?') for s in samples
             if hasattr(s, 'metainfo')]
    if len(paths) > limit:
        paths = paths[:limit] + [f'... ({len(paths) - limit} more)']
    return paths


def _is_finite(value) -> bool:
    if isinstance(value, torch.Tensor):
        return bool(torch.isfinite(value.detach()).all())
    return math.isfinite(float(value))


def _value(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


@HOOKS.register_module()
class CheckInvalidLossHook(Hook):
    """Raises :class:`InvalidLossError` when a loss of the training step is
    NaN or infinite, naming the epoch, the iteration, the loss terms and the
    batch's image paths.

    Why stop: a NaN loss makes NaN gradients and weights, and with them NaN
    quality feedback; every later step and checkpoint would be silently
    wrong. The check runs after the step (MMEngine offers no hook between
    forward and optimizer step), so the weights in memory are already bad,
    but no checkpoint is written from them: the last saved checkpoint is the
    one to resume from (lower the learning rate, check the named frames).

    Checking every step costs nothing extra: MMEngine already reads every
    logged loss as a Python float each step.

    Args:
        interval (int): check every ``interval`` iterations.
    """
    priority = 'VERY_HIGH'  # before QualityScoreHook records feedback

    def __init__(self, interval: int = 1):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        bad = {k: _value(v) for k, v in outputs.items()
               if 'loss' in k and not _is_finite(v)}
        if not bad:
            return
        raise InvalidLossError(
            f'Non-finite training loss {bad} at epoch {runner.epoch + 1}, '
            f'iteration {runner.iter + 1} (batch {batch_idx + 1} of the '
            f'epoch); frames in the batch: {_sample_paths(data_batch)}. '
            'Training stopped; no checkpoint was saved after this step. '
            'Try a lower learning rate, and check these frames.')
