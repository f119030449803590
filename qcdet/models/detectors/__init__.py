"""Detectors: full models (data preprocessor, backbone, head, loss)."""
from .deepfake_detector import *  # noqa: F401,F403
