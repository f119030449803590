from .augment import *  # noqa: F401,F403
from .formatting import *  # noqa: F401,F403
from .freq_augment import *  # noqa: F401,F403
from .loading import *  # noqa: F401,F403
from .self_blend import *  # noqa: F401,F403
