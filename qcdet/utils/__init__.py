"""Utilities: safe checkpoint loading, model-file downloads, distributed
set-up."""
from .distributed import *  # noqa: F401,F403
from .download import *  # noqa: F401,F403
from .worker_pool import *  # noqa: F401,F403
