"""Deepfake augmentations missing from, or broken in, mmcv / mmpretrain.

Resizing, flipping and brightness/contrast/saturation jitter come from mmcv /
mmpretrain (configs use ``type='Resize'``, ``type='RandomFlip'``,
``type='mmpretrain.ColorJitter'``). Here:

- JPEG compression and Gaussian blur, the degradations that hide forgery
  traces. mmpretrain's ``GaussianBlur`` is PIL-based and samples its radius
  from a magnitude level (fixed unless ``magnitude_std`` is set), so a plain
  sigma-range blur is provided instead.
- Hue shift: ``mmcv.adjust_hue`` (used by mmpretrain's ``ColorJitter`` when
  ``hue > 0``) raises ``OverflowError`` under numpy 2 whenever it draws a
  negative shift, so keep ``hue=0`` there and use :class:`RandomHueShift`.
"""
from typing import Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from qcdet.registry import TRANSFORMS

__all__ = ['RandomJPEGCompression', 'RandomGaussianBlur', 'RandomHueShift']


def _check_prob(prob: float) -> float:
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f'prob must be in [0, 1], got {prob}')
    return float(prob)


def _check_range(values: Sequence[float], name: str, low: float,
                 high: float) -> tuple:
    if len(values) != 2 or not low <= values[0] <= values[1] <= high:
        raise ValueError(f'{name} must be (min, max) with {low} <= min <= '
                         f'max <= {high}, got {values}')
    return tuple(values)


@TRANSFORMS.register_module()
class RandomJPEGCompression(BaseTransform):
    """Re-encode ``results['img']`` as JPEG with a random quality.

    Args:
        quality_range (tuple[int, int]): Inclusive range of JPEG quality
            (1-100) to draw from uniformly. Defaults to (60, 100).
        prob (float): Probability of applying. Defaults to 0.5.
    """

    def __init__(self,
                 quality_range: Sequence[int] = (60, 100),
                 prob: float = 0.5):
        self.quality_range = tuple(
            int(q) for q in _check_range(quality_range, 'quality_range', 1,
                                         100))
        self.prob = _check_prob(prob)

    @cache_randomness
    def _sample_quality(self) -> Optional[int]:
        """JPEG quality to use, or None to leave the image untouched."""
        if np.random.rand() >= self.prob:
            return None
        low, high = self.quality_range
        return int(np.random.randint(low, high + 1))

    def transform(self, results: dict) -> dict:
        quality = self._sample_quality()
        if quality is None:
            return results
        img = results['img']
        ok, buffer = cv2.imencode('.jpg', img,
                                  [int(cv2.IMWRITE_JPEG_QUALITY), quality])
        if not ok:
            raise ValueError('JPEG encoding failed for image of shape '
                             f'{img.shape} and dtype {img.dtype} '
                             f'({results.get("img_path")})')
        decoded = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
        results['img'] = decoded.reshape(img.shape)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(quality_range='
                f'{self.quality_range}, prob={self.prob})')


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Blur ``results['img']`` with a Gaussian of random sigma (pixels).

    The kernel size follows from sigma (OpenCV picks about 6 sigma).

    Args:
        sigma_range (tuple[float, float]): Range of sigma drawn uniformly.
            Defaults to (0.1, 2.0).
        prob (float): Probability of applying. Defaults to 0.5.
    """

    def __init__(self,
                 sigma_range: Sequence[float] = (0.1, 2.0),
                 prob: float = 0.5):
        self.sigma_range = tuple(
            float(s) for s in _check_range(sigma_range, 'sigma_range', 1e-6,
                                           float('inf')))
        self.prob = _check_prob(prob)

    @cache_randomness
    def _sample_sigma(self) -> Optional[float]:
        """Sigma to use, or None to leave the image untouched."""
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.sigma_range))

    def transform(self, results: dict) -> dict:
        sigma = self._sample_sigma()
        if sigma is None:
            return results
        img = results['img']
        blurred = cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, sigmaY=sigma)
        results['img'] = blurred.reshape(img.shape)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sigma_range={self.sigma_range}, '
                f'prob={self.prob})')


@TRANSFORMS.register_module()
class RandomHueShift(BaseTransform):
    """Rotate the hue of a BGR uint8 ``results['img']`` by a random amount.

    Grayscale images have no hue and are returned unchanged.

    Args:
        shift_range (tuple[float, float]): Range of the shift, as a fraction
            of the hue circle in [-0.5, 0.5], drawn uniformly.
            Defaults to (-0.05, 0.05).
        prob (float): Probability of applying. Defaults to 0.5.
    """

    def __init__(self,
                 shift_range: Sequence[float] = (-0.05, 0.05),
                 prob: float = 0.5):
        self.shift_range = tuple(
            float(s)
            for s in _check_range(shift_range, 'shift_range', -0.5, 0.5))
        self.prob = _check_prob(prob)

    @cache_randomness
    def _sample_shift(self) -> Optional[float]:
        """Hue shift to use, or None to leave the image untouched."""
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.shift_range))

    def transform(self, results: dict) -> dict:
        shift = self._sample_shift()
        img = results['img']
        if shift is None or img.ndim == 2 or img.shape[2] == 1:
            return results
        if img.dtype != np.uint8 or img.shape[2] != 3:
            raise ValueError('RandomHueShift needs an H x W x 3 uint8 BGR '
                             f'image, got shape {img.shape} and dtype '
                             f'{img.dtype} ({results.get("img_path")})')
        # *_FULL: hue spans 0-255 for the whole circle, so it wraps mod 256.
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
        hue = hsv[..., 0].astype(np.int32) + int(round(shift * 256))
        hsv[..., 0] = np.mod(hue, 256).astype(np.uint8)
        results['img'] = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(shift_range={self.shift_range}, '
                f'prob={self.prob})')
