"""Inference APIs: score images and videos with a trained detector."""
from .annotate import *  # noqa: F401,F403
from .inferencer import *  # noqa: F401,F403
