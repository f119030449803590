"""Figures without pyplot: a ``matplotlib.figure.Figure`` renders with Agg
and holds no global state, so plotting works headless and in threads."""
import os
import os.path as osp

from matplotlib.figure import Figure

__all__ = ['new_figure', 'save_figure']


def new_figure(width: float = 6.4, height: float = 4.8) -> Figure:
    """A figure (size in inches) rendered with the Agg backend."""
    return Figure(figsize=(width, height), layout='constrained')


def save_figure(fig: Figure, path: str, dpi: int = 100) -> str:
    """Write ``fig`` as PNG (creating the folder); returns the path."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi, format='png')
    return path
