from .check_invalid_loss_hook import *  # noqa: F401,F403
from .quality_score_hook import *  # noqa: F401,F403
from .step_seed_hook import *  # noqa: F401,F403
