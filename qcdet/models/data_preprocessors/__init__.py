"""Data preprocessors: the batch step between the DataLoader and the model."""
from .deepfake_data_preprocessor import *  # noqa: F401,F403
