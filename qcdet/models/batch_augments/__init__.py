"""Batch augments: run by ``DeepfakeDataPreprocessor`` on a training batch
on the model's device, as mmpretrain's data preprocessor runs Mixup."""
from .batch_freda import *  # noqa: F401,F403
