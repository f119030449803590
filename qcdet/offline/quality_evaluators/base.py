"""Common API of the static (offline, computed once) quality evaluators."""
from collections import Counter
from pathlib import Path

import cv2

__all__ = ['StaticQualityEvaluator', 'read_bgr_image']


def read_bgr_image(path):
    """BGR uint8 image at ``path``; a clear error when it is missing or
    unreadable."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'image not found: {path}')
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f'unreadable image: {path}')
    return image


class StaticQualityEvaluator:
    """Scores how close a fake frame is to its paired real frame, in [0, 1]
    (1 = indistinguishable); ``None`` when the pair cannot be scored.

    ``counts`` tallies notable events (e.g. a resized pair, a reused face) so
    callers can report them; :meth:`pop_counts` hands them over and resets.
    """
    name = 'static'

    def __init__(self):
        self.counts = Counter()

    def score(self, fake_bgr, real_bgr):
        raise NotImplementedError

    def score_paths(self, fake_path, real_path):
        return self.score(read_bgr_image(fake_path), read_bgr_image(real_path))

    def pop_counts(self):
        counts, self.counts = self.counts, Counter()
        return counts

    def __repr__(self):
        return f'{type(self).__name__}(name={self.name!r})'
