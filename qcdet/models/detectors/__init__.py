"""Detectors: full models (data preprocessor, backbone, head, loss)."""
from .core import *  # noqa: F401,F403
from .deepfake_detector import *  # noqa: F401,F403
from .effort import *  # noqa: F401,F403
from .f3net import *  # noqa: F401,F403
from .recce import *  # noqa: F401,F403
from .spsl import *  # noqa: F401,F403
from .srm import *  # noqa: F401,F403
from .ucf import *  # noqa: F401,F403
