"""Building blocks shared by several detectors."""
from .frequency import *  # noqa: F401,F403
from .stem_adaptation import *  # noqa: F401,F403
from .svd_residual import *  # noqa: F401,F403
