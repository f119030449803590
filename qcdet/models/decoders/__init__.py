"""Decoders that map feature maps back to images (RECCE, UCF)."""
from .adain_decoder import *  # noqa: F401,F403
from .reconstruction_decoder import *  # noqa: F401,F403
