"""Backbones: each returns a tuple of feature maps (the last is used)."""
from .clip_vit import *  # noqa: F401,F403
from .timm_backbone import *  # noqa: F401,F403
from .xception import *  # noqa: F401,F403
