"""FreDA: frequency-domain augmentation that makes an easy fake more realistic
by giving it its paired real's low frequencies (colour, shading, coarse shape)
while keeping the fake's high frequencies (where forgery traces live). The
label stays fake.

Spectra mix as ``F = F_real * M + F_fake * (1 - M)``. The FFT is linear, so
``iFFT(F) = x_fake + iFFT(M * FFT(x_real - x_fake))``: one forward and one
inverse real FFT per image.
"""
import logging
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from qcdet.registry import TRANSFORMS
from .loading import read_image

__all__ = ['FreqAugment', 'freda_mask', 'freda_mix', 'mask_columns']

_MASK_SHAPES = ('circle', 'square')
_APPLY_TO = ('easy', 'all_fakes')
_MASK_CACHE_SIZE = 16


def freda_mask(height: int,
               width: int,
               radius_ratio: float,
               shape: str = 'circle') -> np.ndarray:
    """Low-pass mask in ``rfft2`` layout: bool array ``(height, width//2+1)``.

    Frequencies are normalised by the Nyquist frequency (0.5 cycles/pixel),
    so each axis runs over [-1, 1]. A bin is kept (True) when its normalised
    radius is strictly below ``radius_ratio``: the Euclidean radius for
    ``'circle'``, the larger axis for ``'square'``. So 0 keeps nothing, and
    any ratio above sqrt(2) (circle) or 1 (square) keeps everything. In the
    unshifted spectrum the low frequencies sit at the corners (rows 0 and -1,
    column 0). The mask is symmetric, so the mixed image stays real.
    """
    if shape not in _MASK_SHAPES:
        raise ValueError(
            f'mask shape must be one of {_MASK_SHAPES}, got {shape!r}')
    if radius_ratio < 0:
        raise ValueError(f'radius_ratio must be >= 0, got {radius_ratio}')
    fy = np.abs(np.fft.fftfreq(height))[:, None] / 0.5
    fx = np.fft.rfftfreq(width)[None, :] / 0.5
    if shape == 'circle':
        radius = np.sqrt(fy**2 + fx**2)
    else:
        radius = np.maximum(fy, fx)
    return radius < radius_ratio


def mask_columns(mask: np.ndarray) -> np.ndarray:
    """``mask`` up to its last non-zero column (shape ``(H, k)``, k may be
    0): a low-pass mask zeroes every later column of the spectrum."""
    used = np.flatnonzero(np.asarray(mask).any(axis=0))
    return mask[:, :used[-1] + 1] if len(used) else mask[:, :0]


def _low_pass(x: torch.Tensor, mask_cols: torch.Tensor) -> torch.Tensor:
    """``irfft2(M * rfft2(x))`` over the last two dims, with ``M`` given up
    to its last non-zero column (``mask_cols``, see ``mask_columns``).

    rfft2 is a real FFT along each row followed by complex FFTs along the
    ``W//2+1`` columns; irfft2 runs the same steps backwards. Under a low-pass
    mask only the first k columns survive (13 of 129 at 256 px and radius
    0.1), so the column FFTs run on those k only: the same 1-D transforms,
    fewer of them, and the same result as the full rfft2/irfft2.
    """
    height, width = x.shape[-2:]
    ncols = mask_cols.shape[-1]
    if ncols == 0:  # nothing taken from the real
        return torch.zeros_like(x)
    spectrum = torch.fft.rfft(x, dim=-1)[..., :ncols]
    spectrum = torch.fft.ifft(
        torch.fft.fft(spectrum, dim=-2) * mask_cols, dim=-2)
    full = spectrum.new_zeros(spectrum.shape[:-1] + (width // 2 + 1, ))
    full[..., :ncols] = spectrum
    return torch.fft.irfft(full, n=width, dim=-1)


def freda_mix(fake: np.ndarray, real: np.ndarray,
              mask: np.ndarray) -> np.ndarray:
    """Mixed image, float32, neither rounded nor clipped.

    Args:
        fake, real: same-shape ``H x W`` or ``H x W x C`` images (any dtype).
        mask: ``(H, W//2+1)`` rfft2-layout mask (see ``freda_mask``); 1 takes
            the real's coefficient, 0 the fake's.
    """
    if fake.shape != real.shape:
        raise ValueError(f'fake {fake.shape} and real {real.shape} differ')
    if fake.ndim not in (2, 3):
        raise ValueError(f'expected H x W (x C) images, got {fake.shape}')
    height, width = fake.shape[:2]
    if mask.shape != (height, width // 2 + 1):
        raise ValueError(f'mask shape {mask.shape} is not the rfft2 layout '
                         f'({height}, {width // 2 + 1}) of {fake.shape}')
    fake_t = torch.from_numpy(np.ascontiguousarray(fake, dtype=np.float32))
    real_t = torch.from_numpy(np.ascontiguousarray(real, dtype=np.float32))
    mask_t = torch.from_numpy(
        np.ascontiguousarray(mask_columns(mask), dtype=np.float32))
    diff = real_t - fake_t
    if fake.ndim == 3:  # channels first for the 2-D FFT
        low = _low_pass(diff.permute(2, 0, 1), mask_t).permute(1, 2, 0)
    else:
        low = _low_pass(diff, mask_t)
    return (fake_t + low).contiguous().numpy()


@TRANSFORMS.register_module()
class FreqAugment(BaseTransform):
    """FreDA on a fake marked easy: the paired real's low frequencies, the
    fake's high frequencies. Place it right after loading, before geometric
    augmentations (the pair must still be pixel-aligned).

    Reads ``img``, ``label``, ``qc_easy``, ``pair_path``; writes ``img``
    (same shape; uint8 rounded and clipped to [0, 255], or float32 clipped
    when loaded as float) and ``freda_applied``. A fake without ``pair_path``
    passes through unchanged (counted in ``num_unpaired``, warned once); a
    pair of another size is resized to the fake's (counted in
    ``num_resized``). Counters are per process (each DataLoader worker has its
    own).

    Args:
        mask_shape: ``'circle'`` or ``'square'`` low-pass region.
        radius_ratio: mask radius relative to the Nyquist frequency (see
            ``freda_mask``), or a ``(low, high)`` range sampled per image.
        prob: chance to apply to an eligible fake.
        apply_to: ``'easy'`` (fakes the sampler marked ``qc_easy``) or
            ``'all_fakes'``.
        backend_args: passed to ``read_image`` for the pair.
    """

    def __init__(self,
                 mask_shape: str = 'circle',
                 radius_ratio: Union[float, Sequence[float]] = 0.1,
                 prob: float = 1.0,
                 apply_to: str = 'easy',
                 backend_args: Optional[dict] = None) -> None:
        if mask_shape not in _MASK_SHAPES:
            raise ValueError(f'mask_shape must be one of {_MASK_SHAPES}, '
                             f'got {mask_shape!r}')
        if apply_to not in _APPLY_TO:
            raise ValueError(
                f'apply_to must be one of {_APPLY_TO}, got {apply_to!r}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if isinstance(radius_ratio, (int, float)):
            radius_range = (float(radius_ratio), float(radius_ratio))
        else:
            radius_range = tuple(float(r) for r in radius_ratio)
            if len(radius_range) != 2 or radius_range[0] > radius_range[1]:
                raise ValueError('radius_ratio must be a number or a (low, '
                                 f'high) pair, got {radius_ratio!r}')
        if radius_range[0] < 0:
            raise ValueError(f'radius_ratio must be >= 0, got {radius_ratio}')
        self.mask_shape = mask_shape
        self.radius_range: Tuple[float, float] = radius_range
        self.prob = prob
        self.apply_to = apply_to
        self.backend_args = backend_args
        self.num_unpaired = 0
        self.num_resized = 0
        self._mask_cache: Dict[tuple, torch.Tensor] = {}

    def _sample_radius(self) -> float:
        low, high = self.radius_range
        return low if low == high else float(np.random.uniform(low, high))

    def _mask(self, height: int, width: int, radius: float) -> torch.Tensor:
        """Float mask up to its last non-zero column (``mask_columns``).
        Cached only for a fixed radius (else every key is new)."""
        fixed = self.radius_range[0] == self.radius_range[1]
        key = (height, width, radius)
        if fixed and key in self._mask_cache:
            return self._mask_cache[key]
        mask = torch.from_numpy(
            np.ascontiguousarray(
                mask_columns(freda_mask(height, width, radius,
                                        self.mask_shape)),
                dtype=np.float32))
        if fixed:
            if len(self._mask_cache) >= _MASK_CACHE_SIZE:
                self._mask_cache.pop(next(iter(self._mask_cache)))
            self._mask_cache[key] = mask
        return mask

    def _load_pair(self, path: str, shape: tuple) -> np.ndarray:
        real = read_image(path, backend_args=self.backend_args)
        if real.ndim != 3 or real.shape[2] != shape[2]:
            raise ValueError(f'pair image {path} has shape {real.shape}, '
                             f'the fake has {shape}')
        if real.shape[:2] != shape[:2]:
            self.num_resized += 1
            if self.num_resized == 1:
                print_log(
                    f'FreqAugment: pair {path} is {real.shape[:2]}, the fake '
                    f'{shape[:2]}; resizing pairs to the fake size (warned '
                    'once, counted in num_resized)',
                    logger='current',
                    level=logging.WARNING)
            real = cv2.resize(
                real, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
        return real

    def _wants(self, results: dict) -> bool:
        if results.get('label') != 1:
            return False
        if self.apply_to == 'easy' and not results.get('qc_easy', False):
            return False
        return self.prob >= 1.0 or np.random.rand() < self.prob

    def transform(self, results: dict) -> dict:
        results['freda_applied'] = False
        if not self._wants(results):
            return results
        pair_path = results.get('pair_path')
        if not pair_path:
            self.num_unpaired += 1
            if self.num_unpaired == 1:
                print_log(
                    'FreqAugment: fake '
                    f'{results.get("img_path", "<unknown>")} has no '
                    'pair_path; unpaired fakes pass through unchanged '
                    '(warned once, counted in num_unpaired)',
                    logger='current',
                    level=logging.WARNING)
            return results

        fake = results['img']
        if fake.ndim != 3:
            raise ValueError(f'FreqAugment needs an H x W x C image, got '
                             f'{fake.shape} for {results.get("img_path")}')
        real = self._load_pair(pair_path, fake.shape)
        height, width = fake.shape[:2]
        mask = self._mask(height, width, self._sample_radius())
        # float32 throughout, H x W x C in memory: the FFTs see a channels-
        # first view, and the sum lands in a fresh H x W x C buffer
        fake_t = torch.from_numpy(np.ascontiguousarray(fake))
        real_t = torch.from_numpy(np.ascontiguousarray(real))
        mixed = fake_t.to(torch.float32, copy=True)
        diff = real_t.to(torch.float32) - mixed
        mixed += _low_pass(diff.permute(2, 0, 1), mask).permute(1, 2, 0)
        if fake.dtype == np.uint8:
            mixed = mixed.round_().clamp_(0, 255).to(torch.uint8)
        else:  # LoadFrame(to_float32=True): keep float, same range
            mixed = mixed.clamp_(0, 255)
        results['img'] = mixed.numpy()
        results['freda_applied'] = True
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mask_shape={self.mask_shape!r}, '
                f'radius_ratio={self.radius_range}, prob={self.prob}, '
                f'apply_to={self.apply_to!r})')
