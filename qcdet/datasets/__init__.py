from .annotation_file import *  # noqa: F401,F403
from .deepfake_dataset import *  # noqa: F401,F403
from .frame_check import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
