from .base import *  # noqa: F401,F403
from .dynamic import *  # noqa: F401,F403
from .fqs import *  # noqa: F401,F403
from .identity_similarity import *  # noqa: F401,F403
from .score_store import *  # noqa: F401,F403
from .ssim_similarity import *  # noqa: F401,F403
