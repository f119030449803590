"""Training-time quality scoring: the dynamic score from the detector's
feedback, the FQS combiner and the per-sample score store. The static
evaluators, run once before training, are in
``qcdet.offline.quality_evaluators``."""
from .dynamic import *  # noqa: F401,F403
from .fqs import *  # noqa: F401,F403
from .score_store import *  # noqa: F401,F403
