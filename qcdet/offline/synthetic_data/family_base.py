"""What every forgery family shares: the ``ForgeryFamily`` interface and
small mask/field helpers (one module, so that v1/v2 and v3 can both use them
without importing each other)."""
from typing import Dict, Sequence

import cv2
import numpy as np

from .faces import Frame, Identity

__all__ = ['ForgeryFamily']


def _level(q: float) -> float:
    if not 0 <= q <= 1:
        raise ValueError(f'forgery quality q must be in [0, 1], got {q}')
    return 1. - float(q)


def _feather(mask: np.ndarray, sigma_px: float) -> np.ndarray:
    """Softens a region mask; a larger sigma hides the seam better."""
    if sigma_px <= 0:
        return mask
    return np.clip(cv2.GaussianBlur(mask, (0, 0), sigma_px), 0, 1)


def _smooth_field(grid: np.ndarray, size: int) -> np.ndarray:
    """A coarse random grid (a few cells per side) interpolated to a smooth
    ``size``×``size`` field."""
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)


class ForgeryFamily:
    """One way of making a fake from a real frame; subclasses set ``name`` and
    implement both methods."""
    name = ''

    def sample_params(
        self,
        rng: np.random.Generator,
        target: Identity,
        donors: Sequence[Identity] = ()) -> Dict:
        """Per-video choices that do not depend on q."""
        return {}

    def apply(self, frame: Frame, q: float, params: Dict,
              rng: np.random.Generator) -> np.ndarray:
        """Returns the fake image (H×W×3 uint8 BGR), aligned with
        ``frame.image``."""
        raise NotImplementedError


def _unit(rng: np.random.Generator, n: int = 3) -> np.ndarray:
    direction = rng.normal(0, 1, n)
    return direction / (np.linalg.norm(direction) + 1e-6)
