"""Helpers the command-line tools share."""
from typing import Sequence, Tuple

__all__ = ['height_width']


def height_width(values: Sequence[int],
                 flag: str = '--shape') -> Tuple[int, int]:
    """``(height, width)`` from one value (a square) or two; exits with a
    clear message otherwise."""
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise SystemExit(f'{flag} takes 1 or 2 numbers, got {list(values)}')
