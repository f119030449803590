"""FreDA's arithmetic, for the ``FreqAugment`` transform (one image in a
DataLoader worker), the pair band cache and the FreDA figures.

Spectra mix as ``F = F_real * M + F_fake * (1 - M)`` with ``M`` a low-pass
mask. The FFT is linear, so ``iFFT(F) = x_fake + iFFT(M * FFT(x_real -
x_fake))``: one forward and one inverse real FFT per image.

With a stored band of the real (``real_band``: its spectrum on the few bins
a low-pass mask can reach, kept by ``qcdet.datasets.pair_bands``) the pair
need not be decoded: ``freda_from_band`` computes the fake's spectrum on
those bins only and returns ``x_fake + iDFT(M * (F_real - F_fake))``, the
same linear map, as four small matrix products (a partial DFT).
"""
from collections import OrderedDict
from typing import Tuple

import cv2
import numpy as np
import torch

__all__ = [
    'MASK_SHAPES', 'MASK_EDGES', 'freda_mask', 'band_to_ratio', 'mask_args',
    'mask_columns', 'low_pass', 'freda', 'freda_image', 'freda_mix',
    'to_pixel_range', 'MaskCache', 'band_extent',
    'band_row_index', 'band_limits', 'real_band', 'BandKernels',
    'freda_from_band'
]

MASK_SHAPES = ('circle', 'square')
MASK_EDGES = ('hard', 'cosine')


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
    ``edge_width``, in Nyquist units) for FreDA settings at an image size.

    ``settings`` is what ``FreqAugment`` draws per image:
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
    to_float32=True)``)."""
    if integer:
        mixed.round_()
    return mixed.clamp_(0, 255)


class MaskCache:
    """Float low-pass masks cut to their used columns (``mask_columns``),
    kept by (height, width, radius, shape, edge, edge_width); past
    ``size`` entries the oldest goes. Building one costs more than the mix
    it serves."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._masks: 'OrderedDict[tuple, torch.Tensor]' = OrderedDict()

    def get(self, height: int, width: int, radius: float, shape: str,
            edge: str = 'hard', edge_width: float = 0.0) -> torch.Tensor:
        key = (height, width, float(radius), shape, edge, float(edge_width))
        mask = self._masks.get(key)
        if mask is None:
            cols = mask_columns(
                freda_mask(height, width, radius, shape, edge, edge_width))
            mask = torch.from_numpy(
                np.ascontiguousarray(cols, dtype=np.float32))
            if len(self._masks) >= self.size:
                self._masks.popitem(last=False)
            self._masks[key] = mask
        return mask


# ---------------------------------------------------------------------------
# FreDA from a stored band of the real (no pair decode)
#
# A band is the real's spectrum on a centred rectangle of rfft2 bins: rows
# of integer frequency u = -a..a (in that order), columns v = 0..K-1, every
# channel, real and imaginary parts apart: float32 ``(2a+1, C, 2, K)``. A
# low-pass mask reaches only the bins of its own rectangle ``(b, k)``
# (``band_extent``), so FreDA needs the band's ``[a-b : a+b+1, :, :, :k]``.


def band_extent(mask: np.ndarray) -> Tuple[int, int]:
    """``(b, k)`` of a full rfft2-layout mask ``(H, W//2+1)``: the largest
    ``|u|`` of its non-zero rows and one past its last non-zero column
    (``(0, 0)`` for an empty mask)."""
    mask = np.asarray(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if not len(cols):
        return 0, 0
    freqs = np.abs(np.fft.fftfreq(mask.shape[0], 1 / mask.shape[0]))
    return int(freqs[rows].max()), int(cols[-1]) + 1


def band_limits(height: int, width: int) -> Tuple[int, int]:
    """The largest ``(b, k)`` a band can have at this size: rows ``-b..b``
    distinct (``2b + 1 <= height``, and below the Nyquist row) and columns
    below ``width / 2`` (where ``irfft`` weighs every column twice)."""
    return (height - 1) // 2, (width + 1) // 2


def band_row_index(height: int, b: int) -> np.ndarray:
    """Spectrum rows of frequencies ``u = -b..b`` (in that order)."""
    return np.r_[height - b:height, 0:b + 1]


def real_band(real: np.ndarray, a: int, k: int) -> np.ndarray:
    """The band ``(2a+1, C, 2, k)`` float32 of an ``H x W x C`` image: its
    exact (float64) rfft2 on rows ``u = -a..a`` and columns ``0..k-1``,
    real and imaginary parts along axis 2."""
    if real.ndim != 3:
        raise ValueError(f'expected an H x W x C image, got {real.shape}')
    height, width = real.shape[:2]
    max_a, max_k = band_limits(height, width)
    if not (0 <= a <= max_a and 0 <= k <= max_k):
        raise ValueError(f'band (a={a}, k={k}) out of range for {height} x '
                         f'{width} (a <= {max_a}, k <= {max_k})')
    spectrum = np.fft.rfft2(real.astype(np.float64), axes=(0, 1))
    block = spectrum[band_row_index(height, a), :k]  # (2a+1, k, C)
    block = np.stack([block.real, block.imag], axis=-1)  # (2a+1, k, C, 2)
    return np.ascontiguousarray(block.transpose(0, 2, 3, 1),
                                dtype=np.float32)


class BandKernels:
    """The partial-DFT matrices and cut masks :func:`freda_from_band`
    needs, kept by image size and mask settings (LRU, ``size`` entries).

    Forward, on an ``H x W*C`` float image ``X`` (channels interleaved):
    ``Y = A @ X`` (rows u: ``[cos; sin]``), then the W axis against
    ``[[Bc, -Bs], [-Bs, -Bc]]`` gives ``[Re | Im]`` of the spectrum on the
    band. Inverse: the W axis against ``w * [[Bc', Bs'], [-Bs', Bc']]``
    (``w`` = 1 for column 0, 2 for the others: the columns ``irfft`` takes
    as their own conjugates' too), then ``[cos', -sin'] / (H W)`` over u.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._ops: 'OrderedDict[tuple, tuple]' = OrderedDict()
        self._masks: 'OrderedDict[tuple, tuple]' = OrderedDict()

    @staticmethod
    def _put(cache: OrderedDict, key, value, size: int):
        if len(cache) >= size:
            cache.popitem(last=False)
        cache[key] = value
        return value

    def ops(self, height: int, width: int, b: int, k: int) -> tuple:
        """``(a_fwd, b_fwd, b_inv, a_inv)`` float32 arrays for rows
        ``-b..b`` and columns ``0..k-1``."""
        key = (height, width, b, k)
        ops = self._ops.get(key)
        if ops is not None:
            return ops
        u = np.arange(-b, b + 1, dtype=np.float64)
        theta = 2 * np.pi * np.outer(u, np.arange(height)) / height
        phi = 2 * np.pi * np.outer(np.arange(width),
                                   np.arange(k, dtype=np.float64)) / width
        cos_t, sin_t, cos_p, sin_p = (np.cos(theta), np.sin(theta),
                                      np.cos(phi), np.sin(phi))
        weight = np.where(np.arange(k) == 0, 1.0, 2.0)  # (k,)
        a_fwd = np.concatenate([cos_t, sin_t])  # (2r, H)
        b_fwd = np.block([[cos_p, -sin_p], [-sin_p, -cos_p]])  # (2W, 2k)
        b_inv = np.block([[cos_p.T * weight[:, None],
                           sin_p.T * weight[:, None]],
                          [-sin_p.T * weight[:, None],
                           cos_p.T * weight[:, None]]])  # (2k, 2W)
        a_inv = np.concatenate([cos_t.T, -sin_t.T], axis=1) / (
            height * width)  # (H, 2r)
        ops = tuple(np.ascontiguousarray(m, np.float32)
                    for m in (a_fwd, b_fwd, b_inv, a_inv))
        return self._put(self._ops, key, ops, self.size)

    def mask(self, height: int, width: int, radius: float, shape: str,
             edge: str = 'hard', edge_width: float = 0.0) -> tuple:
        """``(mask, b, k)``: the low-pass mask cut to its band, float32
        ``(2b+1, 1, 1, k)`` (broadcasts over channels and Re/Im)."""
        key = (height, width, float(radius), shape, edge, float(edge_width))
        entry = self._masks.get(key)
        if entry is not None:
            return entry
        full = freda_mask(height, width, radius, shape, edge, edge_width)
        b, k = band_extent(full)
        cut = np.asarray(full, np.float32)[band_row_index(height, b), :k]
        entry = (np.ascontiguousarray(cut[:, None, None, :]), b, k)
        return self._put(self._masks, key, entry, self.size)


#: Matrix products below this many multiply-adds run in numpy (its per-call
#: overhead is a fraction of torch's, and OpenBLAS keeps them on one thread:
#: it threads from 65536 * 4 on); larger ones in torch, whose BLAS keeps to
#: the process's torch threads (one in a DataLoader worker), where numpy's
#: OpenBLAS would start threads of its own (at 256 px it does).
_NUMPY_MM_MACS = 1 << 18


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape[0] * a.shape[1] * b.shape[1] < _NUMPY_MM_MACS:
        return a @ b
    return torch.mm(torch.from_numpy(a), torch.from_numpy(b)).numpy()


def freda_from_band(fake: np.ndarray, band: np.ndarray, mask: np.ndarray,
                    ops: tuple) -> np.ndarray:
    """FreDA of one ``H x W x C`` fake given its real's band: ``fake +
    iDFT(M * (F_real - F_fake))`` on the band's bins, back in pixel range
    and in ``fake``'s dtype (uint8 rounded half to even and clipped, as
    :func:`freda_image`; float32 clipped).

    Four matrix products (``BandKernels``), the small reshapes between them
    and the final add run in numpy and OpenCV, whose per-call overhead is a
    fraction of torch's: at 64 px that overhead is most of the cost.

    Args:
        fake: the fake, uint8 or float32.
        band: float32 ``(2b+1, C, 2, k)``, the real's band cut to the mask
            (any strides; read only).
        mask: float32 ``(2b+1, 1, 1, k)`` (``BandKernels.mask``).
        ops: ``BandKernels.ops(H, W, b, k)``.
    """
    height, width, channels = fake.shape
    rows, k = band.shape[0], band.shape[-1]
    if k == 0:  # the mask keeps nothing of the real
        return fake.copy()
    a_fwd, b_fwd, b_inv, a_inv = ops
    flat = fake.reshape(height, width * channels)
    image = flat if flat.dtype == np.float32 else flat.astype(np.float32)
    # the fake's spectrum on the band: [Re | Im] per (u, channel)
    y = _mm(a_fwd, image).reshape(2, rows, width, channels)
    y = np.ascontiguousarray(y.transpose(1, 3, 0, 2)).reshape(
        rows * channels, 2 * width)
    spectrum = _mm(y, b_fwd).reshape(rows, channels, 2, k)
    diff = np.subtract(band, spectrum, out=spectrum)
    diff *= mask
    # back: over v (into Re | Im per row u), then over u
    e = _mm(diff.reshape(rows * channels, 2 * k), b_inv)
    e = np.ascontiguousarray(
        e.reshape(rows, channels, 2, width).transpose(2, 0, 3, 1)).reshape(
            2 * rows, width * channels)
    low = _mm(a_inv, e)
    if fake.dtype == np.uint8:  # saturate_cast rounds half to even
        return cv2.add(flat, low, dtype=cv2.CV_8U).reshape(fake.shape)
    low += image
    return np.clip(low, 0, 255, out=low).reshape(fake.shape)
