"""qcdet: quality-centric deepfake detection on MMEngine."""
# Registers qcdet's safe local checkpoint loader with MMEngine (torch >= 2.6
# loads with ``weights_only=True``); importing qcdet is enough.
from .utils import checkpoint as _checkpoint  # noqa: F401
from .version import __version__

__all__ = ['__version__']
