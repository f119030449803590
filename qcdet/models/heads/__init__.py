"""Heads: pooled features -> (real, fake) logits and losses."""
from .binary_cls_head import *  # noqa: F401,F403
