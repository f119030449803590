"""Pacing functions: the fraction of fakes that are "hard" at an epoch.

The curriculum starts with few realistic ("hard") fakes and moves towards all
of them. Every function maps ``(epoch, start_fraction, end_epoch)`` to a
fraction in ``[start_fraction, 1]``: ``start_fraction`` at epoch 0 and ``1.0``
from ``end_epoch`` on (``constant`` stays at ``start_fraction``). Extra
keyword arguments tune a shape (``root``: ``power``; ``step``: ``num_steps``).
"""
import math
from typing import Callable, Dict

__all__ = [
    'linear_pacing', 'root_pacing', 'geometric_pacing', 'step_pacing',
    'constant_pacing', 'PACING_FUNCTIONS', 'get_pacing_fn'
]


def _progress(epoch: int, start_fraction: float, end_epoch: int) -> float:
    """Checks the arguments and returns ``min(epoch / end_epoch, 1)``."""
    if not 0.0 <= start_fraction <= 1.0:
        raise ValueError(
            f'start_fraction must be in [0, 1], got {start_fraction}')
    if end_epoch < 1:
        raise ValueError(f'end_epoch must be >= 1, got {end_epoch}')
    if epoch < 0:
        raise ValueError(f'epoch must be >= 0, got {epoch}')
    return min(epoch / end_epoch, 1.0)


def linear_pacing(epoch: int, start_fraction: float, end_epoch: int) -> float:
    """Grows by the same amount every epoch."""
    t = _progress(epoch, start_fraction, end_epoch)
    return start_fraction + (1.0 - start_fraction) * t


def root_pacing(epoch: int,
                start_fraction: float,
                end_epoch: int,
                power: float = 2.0) -> float:
    """Grows fast early, slowly late: ``t ** (1 / power)``."""
    if power <= 0:
        raise ValueError(f'root pacing needs power > 0, got {power}')
    t = _progress(epoch, start_fraction, end_epoch)
    return start_fraction + (1.0 - start_fraction) * t**(1.0 / power)


def geometric_pacing(epoch: int, start_fraction: float,
                     end_epoch: int) -> float:
    """Multiplies by the same factor every epoch (slow early, fast late)."""
    t = _progress(epoch, start_fraction, end_epoch)
    if start_fraction <= 0.0:
        raise ValueError('geometric pacing needs start_fraction > 0 '
                         f'(got {start_fraction}): 0 never grows by a factor')
    return min(1.0, start_fraction**(1.0 - t))


def step_pacing(epoch: int,
                start_fraction: float,
                end_epoch: int,
                num_steps: int = 4) -> float:
    """Holds a level, then jumps; ``num_steps`` equal jumps reach 1."""
    if int(num_steps) != num_steps or num_steps < 1:
        raise ValueError(
            f'step pacing needs an integer num_steps >= 1, got {num_steps}')
    t = _progress(epoch, start_fraction, end_epoch)
    level = math.floor(t * num_steps) / num_steps
    return start_fraction + (1.0 - start_fraction) * level


def constant_pacing(epoch: int, start_fraction: float,
                    end_epoch: int) -> float:
    """No curriculum: the same hard fraction every epoch."""
    _progress(epoch, start_fraction, end_epoch)
    return float(start_fraction)


PACING_FUNCTIONS: Dict[str, Callable[..., float]] = {
    'linear': linear_pacing,
    'root': root_pacing,
    'geometric': geometric_pacing,
    'step': step_pacing,
    'constant': constant_pacing,
}


def get_pacing_fn(name: str) -> Callable[..., float]:
    """Looks a pacing function up by name."""
    if name not in PACING_FUNCTIONS:
        raise KeyError(f'unknown pacing {name!r}; valid names: '
                       f'{sorted(PACING_FUNCTIONS)}')
    return PACING_FUNCTIONS[name]
