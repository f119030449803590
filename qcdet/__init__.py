"""qcdet: quality-centric deepfake detection on MMEngine."""
from .version import __version__
# Registers qcdet's safe local checkpoint loader with MMEngine (torch >= 2.6
# loads with ``weights_only=True``); importing qcdet is enough.
from .utils import checkpoint as _checkpoint  # noqa: F401

__all__ = ['__version__']
