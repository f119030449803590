"""Fixed frequency transforms of an image for the frequency-aware detectors.

- ``SRMFilter``: the three SRM high-pass residual filters (Fridrich and
  Kodovsky, "Rich Models for Steganalysis of Digital Images", TIFS 2012) as
  picked by Luo et al., CVPR 2021 (SRM detector).
- ``phase_only_image``: the image rebuilt from its Fourier phase alone
  (Liu et al., CVPR 2021, SPSL).
- ``dct_matrix`` / ``dct_band_masks`` / ``FrequencyAwareDecomposition``: the
  DCT band split with learnable band filters of F3Net's FAD branch (Qian et
  al., ECCV 2020).

All of them act on the data preprocessor's output (normalised float images,
``[B, C, H, W]``).
"""
import math
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    'srm_kernels', 'SRMFilter', 'phase_only_image', 'dct_matrix',
    'dct_band_masks', 'FrequencyAwareDecomposition'
]


def srm_kernels() -> torch.Tensor:
    """The three 5x5 SRM kernels, shape [3, 5, 5], each scaled so that its
    central weight has magnitude 1 and summing to 0 (a high-pass filter):

    0. ``KB``: 3x3 second-order "square" kernel, divided by 4;
    1. ``KV``: 5x5 fourth-order "square" kernel, divided by 12;
    2. horizontal second-order difference ``[1, -2, 1]``, divided by 2.
    """
    kb = torch.tensor([[0, 0, 0, 0, 0],
                       [0, -1, 2, -1, 0],
                       [0, 2, -4, 2, 0],
                       [0, -1, 2, -1, 0],
                       [0, 0, 0, 0, 0]], dtype=torch.float32) / 4
    kv = torch.tensor([[-1, 2, -2, 2, -1],
                       [2, -6, 8, -6, 2],
                       [-2, 8, -12, 8, -2],
                       [2, -6, 8, -6, 2],
                       [-1, 2, -2, 2, -1]], dtype=torch.float32) / 12
    horizontal = torch.zeros(5, 5)
    horizontal[2, 1:4] = torch.tensor([1., -2., 1.]) / 2
    return torch.stack([kb, kv, horizontal])


class SRMFilter(nn.Module):
    """Noise residuals of an image: each SRM kernel is applied to every input
    channel and the results are summed, giving one residual map per kernel
    (3 output channels), truncated to ``[-truncation, truncation]``.

    The kernels are fixed (a buffer, not trained). Borders are padded by
    reflection so that flat or linear regions give zero residual up to the
    frame edge (zero padding would draw a spurious edge around the frame).

    Args:
        in_channels: channels of the input image.
        truncation: the residual is clipped to this magnitude (in the units
            of the normalised input), as in the SRM detector.
    """

    def __init__(self, in_channels: int = 3, truncation: float = 3.0):
        super().__init__()
        if truncation <= 0:
            raise ValueError(f'truncation must be > 0, got {truncation}')
        self.in_channels = in_channels
        self.truncation = truncation
        weight = srm_kernels()[:, None].repeat(1, in_channels, 1, 1)
        self.register_buffer('weight', weight, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'SRMFilter expects [B, {self.in_channels}, H, '
                             f'W] images, got {tuple(x.shape)}')
        padded = F.pad(x, (2, 2, 2, 2), mode='reflect')
        residual = F.conv2d(padded, self.weight.to(x.dtype))
        return residual.clamp(-self.truncation, self.truncation)


def _dft_cos_sin(size: int, like: torch.Tensor):
    """Real and (negated) imaginary parts of the size-point DFT matrix,
    ``cos(2 pi n k / size)`` and ``sin(2 pi n k / size)``, built from
    ``n * k mod size`` so the angles stay exact in float32."""
    n = torch.arange(size, device=like.device)
    angle = (n[:, None] * n[None, :] % size).to(like.dtype) * (2 * math.pi /
                                                                 size)
    return torch.cos(angle), torch.sin(angle)


def phase_only_image(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Rebuild each channel of ``x`` ([..., H, W]) from its 2-D Fourier phase
    with the amplitude set to 1: ``real(IDFT(exp(i * angle(DFT(x)))))``.

    The orthonormal DFT is used, so the result has unit root-mean-square
    whatever the image size and sits on the scale of normalised pixels.
    A circular shift of the image shifts this map the same way (shift
    theorem); scaling the image by a positive factor leaves it unchanged.
    Coefficients with magnitude below ``eps`` get phase 0 (as ``angle(0)``).

    The DFT is written as real matrix products (not ``torch.fft``) so that
    the model exports to ONNX and FLOP counters see it.
    """
    height, width = x.shape[-2:]
    dtype = x.dtype
    x = x.float()
    cos_h, sin_h = _dft_cos_sin(height, x)
    cos_w, sin_w = _dft_cos_sin(width, x)
    # forward DFT, X = F_h x F_w with F = cos - i sin
    rows_real, rows_imag = x @ cos_w, -(x @ sin_w)
    real = cos_h @ rows_real + sin_h @ rows_imag
    imag = cos_h @ rows_imag - sin_h @ rows_real
    # unit amplitude, same phase
    magnitude = torch.sqrt(real * real + imag * imag)
    nonzero = magnitude > eps
    safe = torch.where(nonzero, magnitude, torch.ones_like(magnitude))
    real = torch.where(nonzero, real / safe, torch.ones_like(real))
    imag = torch.where(nonzero, imag / safe, torch.zeros_like(imag))
    # inverse DFT (conj(F) on both sides), real part, orthonormal scale
    rows_real = real @ cos_w - imag @ sin_w
    rows_imag = real @ sin_w + imag @ cos_w
    image = cos_h @ rows_real - sin_h @ rows_imag
    return (image / math.sqrt(height * width)).to(dtype)


def dct_matrix(size: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix ``D`` ([size, size]): ``D @ x`` is the DCT of
    the column vector ``x`` and ``D.T`` inverts it."""
    n = torch.arange(size, dtype=torch.float64)
    k = n[:, None]
    matrix = torch.cos(math.pi * (n[None, :] + 0.5) * k / size)
    matrix *= math.sqrt(2.0 / size)
    matrix[0] /= math.sqrt(2.0)
    return matrix.float()


def dct_band_masks(size: int,
                   band_fractions: Sequence[float] = (1 / 16, 1 / 8)
                   ) -> torch.Tensor:
    """Binary masks ([num_bands, size, size]) splitting a ``size x size``
    DCT spectrum into bands by frequency ``i + j`` (row + column index).

    ``band_fractions`` are the increasing shares of the spectrum's area
    below each boundary (F3Net: low = the first 1/16, middle = 1/16 to 1/8,
    high = the rest). Boundary ``r`` holds the coefficients ``i + j < r`` with
    ``r = round(size * sqrt(2 * fraction))``; every coefficient falls in
    exactly one band.
    """
    fractions = list(band_fractions)
    if any(not 0 < f < 1 for f in fractions) or \
            fractions != sorted(set(fractions)):
        raise ValueError('band_fractions must be increasing values in (0, 1),'
                         f' got {band_fractions}')
    bounds = [0] + [round(size * math.sqrt(2 * f)) for f in fractions] + \
        [2 * size]
    index = torch.arange(size)
    frequency = index[:, None] + index[None, :]
    return torch.stack([((frequency >= lo) & (frequency < hi)).float()
                        for lo, hi in zip(bounds[:-1], bounds[1:])])


class FrequencyAwareDecomposition(nn.Module):
    """F3Net's FAD: split each channel into DCT frequency bands and bring each
    band back to the image domain,
    ``y_k = D.T @ (D @ x @ D.T * (base_k + s(w_k))) @ D``, with ``base_k`` the
    binary mask of band k, ``w_k`` a learnable ``[size, size]`` map and
    ``s(w) = 2 * sigmoid(w) - 1`` (values in (-1, 1)).

    The bands are low, middle, high (``dct_band_masks``) plus the full
    spectrum, so ``C`` input channels give ``4 * C`` output channels ordered
    band by band. With the learnable maps at 0 the first three outputs sum to
    the input and the fourth equals it.

    Args:
        img_size: height = width of the input (the learnable maps are per
            DCT coefficient, so the size is fixed).
        band_fractions: see ``dct_band_masks``.
        learnable: add the learnable maps (F3Net) or keep the fixed masks.
    """

    def __init__(self, img_size: int,
                 band_fractions: Sequence[float] = (1 / 16, 1 / 8),
                 learnable: bool = True):
        super().__init__()
        self.img_size = img_size
        masks = dct_band_masks(img_size, band_fractions)
        bases = torch.cat([masks, torch.ones(1, img_size, img_size)])
        self.num_bands = len(bases)
        self.register_buffer('dct', dct_matrix(img_size), persistent=False)
        self.register_buffer('band_bases', bases, persistent=False)
        if learnable:
            self.band_weights = nn.Parameter(
                torch.randn(self.num_bands, img_size, img_size) * 0.1)
        else:
            self.band_weights = None

    def band_filters(self) -> torch.Tensor:
        """The current filters, shape [num_bands, size, size]."""
        if self.band_weights is None:
            return self.band_bases
        return self.band_bases + 2 * torch.sigmoid(self.band_weights) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[-2:] != (self.img_size, self.img_size):
            raise ValueError(
                f'FrequencyAwareDecomposition was built for {self.img_size}x'
                f'{self.img_size} images (img_size), got input of shape '
                f'{tuple(x.shape)}; set img_size to the training resolution')
        dct = self.dct.to(x.dtype)
        spectrum = dct @ x @ dct.t()  # [B, C, S, S]
        filters = self.band_filters().to(x.dtype)  # [K, S, S]
        bands = spectrum[:, None] * filters[None, :, None]  # [B, K, C, S, S]
        out = dct.t() @ bands @ dct
        return out.flatten(1, 2)  # [B, K*C, S, S]
