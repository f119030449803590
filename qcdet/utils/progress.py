"""The one progress bar of qcdet's tools.

Drawn on a terminal only: a log file or a pipe gets no bar updates (a
static-scoring run used to write ~1,900 of them into its log).
"""
from typing import Optional

__all__ = ['progress_bar']


def progress_bar(total: int, desc: str = '', unit: str = 'it',
                 enabled: Optional[bool] = None):
    """A tqdm bar on stderr: ``enabled=None`` shows it only on a terminal,
    ``False`` never."""
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False,
                dynamic_ncols=True,
                disable=True if enabled is False else
                (None if enabled is None else False))
