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
    no static score gets the median q. A fake with no dynamic score (one the
    detector has not seen raw yet: the curriculum keeps the least realistic
    fakes in FreDA, whose feedback measures another image) gets, with
    ``impute_dynamic='static'`` (default), the d at the same quantile as its
    q among the fakes that have a d, so its static score speaks for it; with
    ``'median'`` the median d. With no dynamic score yet (first epoch) FQS is
    alpha*q; with no static scores at all it is d.
    ``use_static``/``use_dynamic`` give the ablations. Reals get NaN.
    """

    def __init__(self, alpha: float = 1.0, normalize: str = 'rank',
                 use_static: bool = True, use_dynamic: bool = True,
                 impute_dynamic: str = 'static'):
        if not (use_static or use_dynamic):
            raise ValueError('FQSCombiner needs use_static or use_dynamic')
        if impute_dynamic not in ('static', 'median'):
            raise ValueError("impute_dynamic must be 'static' or 'median', "
                             f'got {impute_dynamic!r}')
        normalize_scores(np.zeros(2), normalize)  # validates the name
        self.alpha = alpha
        self.normalize = normalize
        self.use_static = use_static
        self.use_dynamic = use_dynamic
        self.impute_dynamic = impute_dynamic

    def _part(self, values: Optional[np.ndarray], fake: np.ndarray,
              guide: Optional[np.ndarray] = None):
        """Normalised ``values`` of the fakes; a missing one takes the value
        at ``guide``'s quantile (a normalised score in [0, 1]) where it is
        given and finite, else the median."""
        if values is None:
            return None
        v = np.where(fake, values, np.nan)
        if not np.isfinite(v).any():
            return None
        v = normalize_scores(v, self.normalize)
        known = v[fake & np.isfinite(v)]
        missing = fake & ~np.isfinite(v)
        v[missing] = np.median(known)
        if guide is not None:
            guided = missing & np.isfinite(guide)
            if guided.any():
                v[guided] = np.quantile(known, np.clip(guide[guided], 0, 1))
        return v

    def __call__(self, labels: np.ndarray, static: Optional[np.ndarray],
                 dynamic: Optional[np.ndarray]) -> np.ndarray:
        fake = np.asarray(labels) == 1
        fqs = np.zeros(len(fake), dtype=np.float64)
        q = self._part(static, fake) if self.use_static else None
        guide = None
        if self.impute_dynamic == 'static' and static is not None:
            # the static score's quantile, whatever ``normalize`` is
            guide = normalize_scores(np.where(fake, static, np.nan), 'rank')
        d = self._part(dynamic, fake, guide) if self.use_dynamic else None
        if q is None and d is None:
            fqs[:] = np.nan
        if d is not None:
            fqs += d
        if q is not None:
            fqs += self.alpha * q
        fqs[~fake] = np.nan
        return fqs
