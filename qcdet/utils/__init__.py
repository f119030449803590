"""Utilities: safe checkpoint loading, distributed set-up."""
from .checkpoint import *  # noqa: F401,F403
from .distributed import *  # noqa: F401,F403
from .worker_pool import *  # noqa: F401,F403
