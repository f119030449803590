"""Figures without pyplot: a ``matplotlib.figure.Figure`` renders with Agg
and holds no global state, so plotting works headless and in threads."""
import os
import os.path as osp

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ['new_figure', 'save_figure', 'integer_ticks']


def new_figure(width: float = 6.4, height: float = 4.8) -> Figure:
    """A figure (size in inches) rendered with the Agg backend."""
    return Figure(figsize=(width, height), layout='constrained')


def save_figure(fig: Figure, path: str, dpi: int = 100) -> str:
    """Write ``fig`` as PNG (creating the folder); returns the path."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi, format='png')
    return path


def integer_ticks(axis) -> None:
    """Whole-number ticks only (epochs, counts), even with a single value
    in view (plain ``MaxNLocator(integer=True)`` falls back to fractional
    ticks when fewer than two integers are visible)."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
