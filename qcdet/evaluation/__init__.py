from .cross_dataset import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
