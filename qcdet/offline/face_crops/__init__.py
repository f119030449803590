"""Raw deepfake videos -> aligned face crops, real/fake pairs and annotation
files (``tools/data/preprocess.py``). Not imported by ``qcdet.datasets``:
it needs the face libraries and is used offline only."""
from .layouts import *  # noqa: F401,F403
from .pipeline import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403
