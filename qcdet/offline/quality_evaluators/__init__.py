"""Static quality evaluators: how realistic a fake is, scored once before
training from the fake and its paired real (``static_quality`` drives
them over an annotation file). Importing this package registers them in
``QUALITY_EVALUATORS``; the training side (``qcdet.quality``) never
imports it, so training does not load the face stack."""
from .base import *  # noqa: F401,F403
from .identity_similarity import *  # noqa: F401,F403
from .ssim_similarity import *  # noqa: F401,F403
