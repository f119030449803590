"""Procedural synthetic deepfake data: the embedded demo dataset (numpy + cv2
only, no downloads)."""
from .faces import *  # noqa: F401,F403
from .forgeries import *  # noqa: F401,F403
from .forgeries_v3 import *  # noqa: F401,F403
from .generate import *  # noqa: F401,F403
