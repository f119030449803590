"""Forgery Quality Score: FQS = d + alpha * q over the fakes."""
from typing import Optional

import numpy as np
from scipy.stats import rankdata

from qcdet.registry import QUALITY_EVALUATORS

__all__ = ['FQSCombiner', 'normalize_scores']


def normalize_scores(values: np.ndarray, method: str) -> np.ndarray:
    """Map the finite entries of ``values`` to a common scale; NaN stays NaN.

    ``rank``: average rank mapped to [0, 1] (robust to each score's scale and
    outliers, so d and q weigh as alpha says); ``minmax``: linear to [0, 1];
    ``none``: unchanged.
    """
    out = np.full(values.shape, np.nan, dtype=np.float64)
    ok = np.isfinite(values)
    if not ok.any() or method == 'none':
        out[ok] = values[ok]
        return out
    v = values[ok].astype(np.float64)
    if method == 'rank':
        r = rankdata(v, method='average')
        out[ok] = (r - 1) / max(len(v) - 1, 1) if len(v) > 1 else 0.5
    elif method == 'minmax':
        span = v.max() - v.min()
        out[ok] = (v - v.min()) / span if span > 0 else 0.5
    else:
        raise ValueError(f"normalize must be 'rank', 'minmax' or 'none', "
                         f'got {method!r}')
    return out


@QUALITY_EVALUATORS.register_module()
class FQSCombiner:
    """Combines dynamic d and static q of each fake into FQS = d + alpha*q.

    Both are normalised across the fakes first (``normalize``). A fake with
    no score of one kind gets the median of that kind (neutral). With no
    dynamic score yet (first epoch) FQS is alpha*q; with no static scores at
    all it is d. ``use_static``/``use_dynamic`` give the ablations.
    Reals get NaN.
    """

    def __init__(self, alpha: float = 1.0, normalize: str = 'rank',
                 use_static: bool = True, use_dynamic: bool = True):
        if not (use_static or use_dynamic):
            raise ValueError('FQSCombiner needs use_static or use_dynamic')
        normalize_scores(np.zeros(2), normalize)  # validates the name
        self.alpha = alpha
        self.normalize = normalize
        self.use_static = use_static
        self.use_dynamic = use_dynamic

    def _part(self, values: Optional[np.ndarray], fake: np.ndarray):
        if values is None:
            return None
        v = np.where(fake, values, np.nan)
        if not np.isfinite(v).any():
            return None
        v = normalize_scores(v, self.normalize)
        med = np.nanmedian(v[fake])
        return np.where(fake & ~np.isfinite(v), med, v)

    def __call__(self, labels: np.ndarray, static: Optional[np.ndarray],
                 dynamic: Optional[np.ndarray]) -> np.ndarray:
        fake = np.asarray(labels) == 1
        fqs = np.zeros(len(fake), dtype=np.float64)
        q = self._part(static, fake) if self.use_static else None
        d = self._part(dynamic, fake) if self.use_dynamic else None
        if q is None and d is None:
            fqs[:] = np.nan
        if d is not None:
            fqs += d
        if q is not None:
            fqs += self.alpha * q
        fqs[~fake] = np.nan
        return fqs
