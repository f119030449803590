"""FreDA's arithmetic, shared by the ``FreqAugment`` transform (one image in
a DataLoader worker) and ``DeepfakeDataPreprocessor`` (a batch on the model's
device).

Spectra mix as ``F = F_real * M + F_fake * (1 - M)`` with ``M`` a low-pass
mask. The FFT is linear, so ``iFFT(F) = x_fake + iFFT(M * FFT(x_real -
x_fake))``: one forward and one inverse real FFT per image.
"""
from collections import OrderedDict

import numpy as np
import torch

__all__ = [
    'MASK_SHAPES', 'MASK_EDGES', 'freda_mask', 'band_to_ratio', 'mask_args',
    'mask_columns', 'low_pass', 'freda', 'freda_image', 'freda_mix',
    'to_pixel_range', 'MaskCache', 'STACKED_PAIR_KEY'
]

MASK_SHAPES = ('circle', 'square')
MASK_EDGES = ('hard', 'cosine')

#: Key ``FreqAugment(mix_in='preprocessor')`` sets on every sample whose
#: image carries its pair's channels stacked behind its own: the mask
#: settings (see :func:`mask_args`) for a fake to mix, None for the rest.
#: The ``BatchFreDA`` batch augment mixes, drops the pair channels and
#: removes the key.
STACKED_PAIR_KEY = 'freda_deferred'


def freda_mask(height: int,
               width: int,
               radius_ratio: float,
               shape: str = 'circle',
               edge: str = 'hard',
               edge_width: float = 0.0) -> np.ndarray:
    """Low-pass mask in ``rfft2`` layout, ``(height, width//2+1)``: bool for
    ``edge='hard'``, float32 weights in [0, 1] for ``'cosine'``.

    Frequencies are normalised by the Nyquist frequency (0.5 cycles/pixel),
    so each axis runs over [-1, 1]. The radius of a bin is Euclidean for
    ``'circle'``, the larger axis for ``'square'``. A hard mask keeps (True)
    the bins strictly below ``radius_ratio``: 0 keeps nothing, and any ratio
    above sqrt(2) (circle) or 1 (square) keeps everything. A cosine mask
    tapers from 1 at ``radius_ratio - edge_width/2`` to 0 at ``radius_ratio
    + edge_width/2`` as a raised cosine (0.5 at the radius; ``edge_width``
    in the same unit), which rings less in the image than a hard cut. In the
    unshifted spectrum the low frequencies sit at the corners (rows 0 and -1,
    column 0). The mask is symmetric, so the mixed image stays real.
    """
    if shape not in MASK_SHAPES:
        raise ValueError(
            f'mask shape must be one of {MASK_SHAPES}, got {shape!r}')
    if edge not in MASK_EDGES:
        raise ValueError(
            f'mask edge must be one of {MASK_EDGES}, got {edge!r}')
    if radius_ratio < 0:
        raise ValueError(f'radius_ratio must be >= 0, got {radius_ratio}')
    if edge == 'cosine' and not edge_width > 0:
        raise ValueError(
            f'a cosine edge needs edge_width > 0, got {edge_width}')
    if edge == 'hard' and edge_width:
        raise ValueError(
            f'edge_width={edge_width} needs edge=\'cosine\' (a hard mask '
            'has no taper)')
    fy = np.abs(np.fft.fftfreq(height))[:, None] / 0.5
    fx = np.fft.rfftfreq(width)[None, :] / 0.5
    if shape == 'circle':
        radius = np.sqrt(fy**2 + fx**2)
    else:
        radius = np.maximum(fy, fx)
    if edge == 'hard':
        return radius < radius_ratio
    taper = np.clip(
        (radius - (radius_ratio - edge_width / 2)) / edge_width, 0, 1)
    return (0.5 * (1 + np.cos(np.pi * taper))).astype(np.float32)


def band_to_ratio(band: float, height: int, width: int) -> float:
    """Cycles per image side (per face, for face crops) as a fraction of the
    Nyquist frequency, on the shorter side: ``band / (min(H, W) / 2)``. The
    mask stays round in cycles per pixel, so a non-square image keeps
    ``band`` cycles along its shorter side and proportionally more along the
    longer one; scaling an image keeps the cycles the same."""
    return band / (min(height, width) / 2)


def mask_args(settings: dict, height: int, width: int) -> dict:
    """:class:`MaskCache` arguments (``radius``, ``shape``, ``edge``,
    ``edge_width``, in Nyquist units) for FreDA settings at an image size,
    so the transform and ``BatchFreDA`` read them alike.

    ``settings`` is what ``FreqAugment`` writes to ``freda_deferred``:
    ``dict(radius=..., mask_shape=...)`` (Nyquist ratio) or ``dict(band=...,
    mask_shape=...)`` (cycles per image side, converted with
    :func:`band_to_ratio` at this size), plus ``mask_edge`` and
    ``edge_width`` (the band's unit) for a soft edge.
    """
    edge_width = settings.get('edge_width') or 0.0
    if 'band' in settings:
        radius = band_to_ratio(settings['band'], height, width)
        edge_width = band_to_ratio(edge_width, height, width)
    else:
        radius = settings['radius']
    return dict(radius=radius, shape=settings['mask_shape'],
                edge=settings.get('mask_edge', 'hard'), edge_width=edge_width)


def mask_columns(mask: np.ndarray) -> np.ndarray:
    """``mask`` up to its last non-zero column (shape ``(H, k)``, k may be
    0): a low-pass mask zeroes every later column of the spectrum."""
    used = np.flatnonzero(np.asarray(mask).any(axis=0))
    return mask[:, :used[-1] + 1] if len(used) else mask[:, :0]


def low_pass(x: torch.Tensor, mask_cols: torch.Tensor) -> torch.Tensor:
    """``irfft2(M * rfft2(x))`` over the last two dims, with ``M`` given up
    to its last non-zero column (``mask_cols``, see ``mask_columns``).
    ``mask_cols`` broadcasts against ``x``'s spectrum: ``(H, k)`` for one
    mask, ``(N, 1, H, k)`` for one per image of an ``(N, C, H, W)`` batch.

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


def freda(fake: torch.Tensor, real: torch.Tensor,
          mask_cols: torch.Tensor) -> torch.Tensor:
    """FreDA's arithmetic, the one implementation: ``fake`` with ``real``'s
    low frequencies, ``fake + iFFT(M * FFT(real - fake))``, on channels-first
    ``(..., H, W)`` images (``mask_cols`` as for :func:`low_pass`). Float32,
    neither rounded nor clipped, in ``fake``'s memory layout (so an H x W x C
    image viewed channels-first comes back H x W x C in memory)."""
    mixed = fake.to(torch.float32, copy=True)
    mixed += low_pass(real.to(torch.float32) - mixed, mask_cols)
    return mixed


def freda_image(fake: np.ndarray, real: np.ndarray,
                mask_cols: torch.Tensor) -> np.ndarray:
    """FreDA of one ``H x W x C`` image as ``FreqAugment`` applies it: back
    in pixel range and in ``fake``'s dtype (uint8 rounded, see
    :func:`to_pixel_range`)."""
    fake_t = torch.from_numpy(np.ascontiguousarray(fake))
    real_t = torch.from_numpy(np.ascontiguousarray(real))
    mixed = freda(fake_t.permute(2, 0, 1), real_t.permute(2, 0, 1),
                  mask_cols).permute(1, 2, 0)
    integer = fake.dtype == np.uint8
    mixed = to_pixel_range(mixed, integer)
    return (mixed.to(torch.uint8) if integer else mixed).numpy()


def freda_mix(fake: np.ndarray, real: np.ndarray,
              mask: np.ndarray) -> np.ndarray:
    """:func:`freda` on numpy images with a full rfft2-layout mask: the
    exact mix, float32, neither rounded nor clipped (for analysis).

    Args:
        fake, real: same-shape ``H x W`` or ``H x W x C`` images (any dtype).
        mask: ``(H, W//2+1)`` rfft2-layout mask (see ``freda_mask``), bool
            or float weights: 1 takes the real's coefficient, 0 the fake's.
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
    if fake.ndim == 3:  # channels first for the 2-D FFT
        mixed = freda(fake_t.permute(2, 0, 1), real_t.permute(2, 0, 1),
                      mask_t).permute(1, 2, 0)
    else:
        mixed = freda(fake_t, real_t, mask_t)
    return mixed.contiguous().numpy()


def to_pixel_range(mixed: torch.Tensor, integer: bool) -> torch.Tensor:
    """A float mix back in [0, 255], in place: rounded as well for uint8
    images (``integer``), only clipped for float ones (``LoadFrame(
    to_float32=True)``). The transform and the data preprocessor share it,
    so both modes round alike."""
    if integer:
        mixed.round_()
    return mixed.clamp_(0, 255)


class MaskCache:
    """Float low-pass masks cut to their used columns (``mask_columns``),
    kept by (height, width, radius, shape, edge, edge_width, device); past
    ``size`` entries the oldest goes. Building one costs more than the mix
    it serves."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._masks: 'OrderedDict[tuple, torch.Tensor]' = OrderedDict()

    def get(self, height: int, width: int, radius: float, shape: str,
            device='cpu', edge: str = 'hard',
            edge_width: float = 0.0) -> torch.Tensor:
        key = (height, width, float(radius), shape, edge, float(edge_width),
               str(device))
        mask = self._masks.get(key)
        if mask is None:
            cols = mask_columns(
                freda_mask(height, width, radius, shape, edge, edge_width))
            mask = torch.from_numpy(
                np.ascontiguousarray(cols, dtype=np.float32)).to(device)
            if len(self._masks) >= self.size:
                self._masks.popitem(last=False)
            self._masks[key] = mask
        return mask
