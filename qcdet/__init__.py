"""qcdet: quality-centric deepfake detection on MMEngine."""
from .version import __version__

__all__ = ['__version__']
