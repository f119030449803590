from .quality_score_hook import *  # noqa: F401,F403
