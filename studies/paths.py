"""Where the studies find the repository's configs and the shared research
media (read in place, never copied)."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: ../shared/data beside the checkout, or $QCDET_SHARED_DATA
SHARED_DATA = os.environ.get('QCDET_SHARED_DATA',
                             str(REPO.parent / 'shared' / 'data'))
