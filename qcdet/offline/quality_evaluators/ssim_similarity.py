"""Structural similarity (SSIM) between a fake and its paired real frame: a
weights-free static quality score for data without detectable faces (e.g.
the synthetic demo)."""
import cv2
import numpy as np

from qcdet.registry import QUALITY_EVALUATORS

from .base import StaticQualityEvaluator

__all__ = ['ssim', 'SSIMSimilarityEvaluator']

# Wang et al. 2004 constants for 8-bit images
_DYNAMIC_RANGE = 255.0
_K1, _K2 = 0.01, 0.03


def _gaussian_window_radius(sigma):
    # 3.5 sigma each side: 11x11 for the standard sigma of 1.5
    return int(3.5 * sigma + 0.5)


def ssim(image_a, image_b, gaussian_sigma=1.5):
    """Mean SSIM of two same-shaped images (H x W or H x W x C, 0..255),
    with a Gaussian-weighted window (Wang et al. 2004); colour channels are
    averaged. The border where the window leaves the image is cropped."""
    a = np.asarray(image_a, dtype=np.float64)
    b = np.asarray(image_b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f'SSIM needs same-shaped images, got {a.shape} and '
                         f'{b.shape}')
    radius = _gaussian_window_radius(gaussian_sigma)
    ksize = (2 * radius + 1, 2 * radius + 1)

    def blur(x):
        return cv2.GaussianBlur(x, ksize, gaussian_sigma,
                                borderType=cv2.BORDER_REFLECT)

    c1 = (_K1 * _DYNAMIC_RANGE)**2
    c2 = (_K2 * _DYNAMIC_RANGE)**2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2) /
                ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)))
    height, width = ssim_map.shape[:2]
    if height > 2 * radius and width > 2 * radius:
        ssim_map = ssim_map[radius:height - radius, radius:width - radius]
    return float(ssim_map.mean())


@QUALITY_EVALUATORS.register_module()
class SSIMSimilarityEvaluator(StaticQualityEvaluator):
    """Static quality = SSIM(fake, real), negatives clipped to 0 (negative
    SSIM means anti-correlated structure: no resemblance at all).

    A real of another size is resized to the fake's size (counted as
    ``resized_real``).

    Args:
        gaussian_sigma: std of the Gaussian SSIM window.
        grayscale: compare luma only (True) or average SSIM over B, G, R.
    """
    name = 'ssim'

    def __init__(self, gaussian_sigma=1.5, grayscale=True):
        super().__init__()
        self.gaussian_sigma = gaussian_sigma
        self.grayscale = grayscale

    def score(self, fake_bgr, real_bgr):
        if fake_bgr.shape[:2] != real_bgr.shape[:2]:
            height, width = fake_bgr.shape[:2]
            real_bgr = cv2.resize(real_bgr, (width, height),
                                  interpolation=cv2.INTER_AREA)
            self.counts['resized_real'] += 1
        if self.grayscale and fake_bgr.ndim == 3:
            fake_bgr = cv2.cvtColor(fake_bgr, cv2.COLOR_BGR2GRAY)
        if self.grayscale and real_bgr.ndim == 3:
            real_bgr = cv2.cvtColor(real_bgr, cv2.COLOR_BGR2GRAY)
        value = ssim(fake_bgr, real_bgr, self.gaussian_sigma)
        return float(np.clip(value, 0.0, 1.0))
