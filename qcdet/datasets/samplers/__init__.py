from .curriculum_contract import *  # noqa: F401,F403
from .pacing import *  # noqa: F401,F403
from .quality_curriculum import *  # noqa: F401,F403
