"""FreDA: frequency-domain augmentation that makes an easy fake more realistic
by giving it its paired real's low frequencies (colour, shading, coarse shape)
while keeping the fake's high frequencies (where forgery traces live). The
label stays fake. The arithmetic lives in ``qcdet.utils.freda``.

The mix runs per image in the DataLoader worker: from the pair's stored
low-frequency band where a band cache is attached
(``qcdet.datasets.pair_bands``), else from the decoded pair.
"""
import logging
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from qcdet.registry import TRANSFORMS
from qcdet.utils.freda import (
    MASK_EDGES,
    MASK_SHAPES,
    BandKernels,
    MaskCache,
    band_extent,
    freda_from_band,
    freda_image,
    freda_mask,
    mask_args,
)

from ..samplers.curriculum_contract import FREDA_APPLIED, QC_EASY
from .loading import read_image

__all__ = ['FreqAugment']

_APPLY_TO = ('easy', 'all_fakes')
#: ``radius_ratio`` when neither it nor ``band`` is set
_DEFAULT_RADIUS_RATIO = 0.1


@TRANSFORMS.register_module()
class FreqAugment(BaseTransform):
    """FreDA on a fake marked easy: the paired real's low frequencies, the
    fake's high frequencies. Place it right after loading, before geometric
    augmentations (the pair must still be pixel-aligned).

    Reads ``img``, ``label``, ``qc_easy``, ``pair_path``; writes ``img`` and
    ``freda_applied`` (the sample got FreDA). ``img`` keeps its shape
    (uint8 rounded and clipped to [0, 255], or float32 clipped when loaded
    as float).

    A fake without ``pair_path`` passes through unchanged (counted in
    ``num_unpaired``, warned once); a pair of another size is resized to the
    fake's (counted in ``num_resized``). Counters are per process (each
    DataLoader worker has its own).

    With a band cache attached (``use_pair_bands``; ``QualityScoreHook(
    pair_bands='auto')`` does it before training, see
    ``qcdet.datasets.pair_bands``) the pair is not decoded: its stored
    low-frequency band and one partial DFT of the fake there and back give
    the same image (within one grey level: float rounding). A fake whose
    pair has no band, or whose size differs from its pair's, reads the pair
    as without a cache (counted in ``num_band_fallback``, warned once).

    Args:
        mask_shape: ``'circle'`` or ``'square'`` low-pass region.
        radius_ratio: mask radius relative to the Nyquist frequency (see
            ``freda_mask``), or a ``(low, high)`` range sampled per image.
            The cycles it keeps grow with the image size; prefer ``band``.
            Neither set: 0.1. Not with ``band``.
        prob: chance to apply to an eligible fake.
        apply_to: ``'easy'`` (fakes the sampler marked ``qc_easy``) or
            ``'all_fakes'``.
        backend_args: passed to ``read_image`` for the pair.
        band: mask radius in cycles per image side (per face, on face
            crops), or a ``(low, high)`` range sampled per image: the same
            content at any resolution. It becomes ``radius_ratio = band /
            (min(H, W) / 2)`` at the size of the image mixed (see
            ``band_to_ratio``). Not with ``radius_ratio``.
        mask_edge: ``'hard'`` (a bin is in or out) or ``'cosine'`` (a
            raised-cosine taper ``edge_width`` wide, centred on the radius).
        edge_width: the taper's width for ``'cosine'``, in the radius's
            unit (cycles per side with ``band``, Nyquist ratio with
            ``radius_ratio``).
    """

    def __init__(self,
                 mask_shape: str = 'circle',
                 radius_ratio: Union[float, Sequence[float], None] = None,
                 prob: float = 1.0,
                 apply_to: str = 'easy',
                 backend_args: Optional[dict] = None,
                 band: Union[float, Sequence[float], None] = None,
                 mask_edge: str = 'hard',
                 edge_width: Optional[float] = None) -> None:
        if mask_shape not in MASK_SHAPES:
            raise ValueError(f'mask_shape must be one of {MASK_SHAPES}, '
                             f'got {mask_shape!r}')
        if apply_to not in _APPLY_TO:
            raise ValueError(
                f'apply_to must be one of {_APPLY_TO}, got {apply_to!r}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if radius_ratio is not None and band is not None:
            raise ValueError(
                f'set band (cycles per face) or radius_ratio (fraction of '
                f'Nyquist, the older setting), not both: got band={band!r} '
                f'and radius_ratio={radius_ratio!r}')
        if mask_edge not in MASK_EDGES:
            raise ValueError(f'mask_edge must be one of {MASK_EDGES}, got '
                             f'{mask_edge!r}')
        if mask_edge == 'cosine' and not (edge_width or 0) > 0:
            raise ValueError('mask_edge=\'cosine\' needs edge_width > 0, '
                             f'got {edge_width!r}')
        if mask_edge == 'hard' and edge_width is not None:
            raise ValueError(f'edge_width={edge_width!r} needs mask_edge='
                             '\'cosine\' (a hard mask has no taper)')
        self.mask_shape = mask_shape
        #: the radius setting in its own unit: ``'band'`` or ``'radius'``
        self._unit = 'band' if band is not None else 'radius'
        self.band_range: Optional[Tuple[float, float]] = None
        self.radius_range: Optional[Tuple[float, float]] = None
        if band is not None:
            self.band_range = self._range('band', band)
        else:
            self.radius_range = self._range(
                'radius_ratio', _DEFAULT_RADIUS_RATIO
                if radius_ratio is None else radius_ratio)
        self.mask_edge = mask_edge
        self.edge_width = edge_width
        self.prob = prob
        self.apply_to = apply_to
        self.backend_args = backend_args
        self.num_unpaired = 0
        self.num_resized = 0
        self.num_band_fallback = 0
        self._masks = MaskCache()
        self._kernels = BandKernels()
        #: ``(PairBandCache, {pair_path: entry})`` once attached
        self._pair_bands = None

    # ------------------------------------------------------ the band cache
    @property
    def accepts_pair_bands(self) -> bool:
        """Whether a band cache can stand in for this transform's pairs: it
        reads the pair from ``pair_path`` (a subclass that overrides
        ``_load_pair``, e.g. ``SelfBlendFreqAugment``, brings its own
        pairs)."""
        return type(self)._load_pair is FreqAugment._load_pair

    def use_pair_bands(self, cache, entries: dict) -> None:
        """Mix from ``cache`` (a ``PairBandCache``) for the pairs in
        ``entries`` (``{pair_path as the pipeline sees it: cache entry}``).
        ``attach_pair_bands`` calls it once it has checked the cache."""
        if not self.accepts_pair_bands:
            raise ValueError(f'{self!r} cannot use a band cache: it brings '
                             'its own pairs')
        self._pair_bands = (cache, dict(entries))

    def band_extent_needed(self, height: int, width: int) -> Tuple[int, int]:
        """``(b, k)`` of the largest mask this transform draws at an image
        size (its highest radius, with the whole cosine edge): what a band
        must hold."""
        settings = {self._unit: (self.band_range or self.radius_range)[1],
                    'mask_shape': self.mask_shape}
        if self.mask_edge != 'hard':
            settings.update(mask_edge=self.mask_edge,
                            edge_width=self.edge_width)
        args = mask_args(settings, height, width)
        return band_extent(freda_mask(height, width, args['radius'],
                                      args['shape'], args['edge'],
                                      args['edge_width']))

    def _band_fallback(self, why: str) -> None:
        self.num_band_fallback += 1
        if self.num_band_fallback == 1:
            print_log(f'FreqAugment: {why}; reading the pair instead (warned '
                      'once, counted in num_band_fallback)',
                      logger='current', level=logging.WARNING)

    def _mix_from_band(self, results: dict, fake: np.ndarray,
                       settings: dict) -> Optional[np.ndarray]:
        """FreDA from the pair's stored band, or None (no band for it)."""
        cache, entries = self._pair_bands
        pair_path = results['pair_path']
        entry = entries.get(pair_path)
        if entry is None:
            self._band_fallback(f'pair {pair_path} has no stored band')
            return None
        height, width, channels, a, k_stored = entry[1:6]
        if fake.shape != (height, width, channels) or \
                fake.dtype not in (np.uint8, np.float32):
            self._band_fallback(
                f'fake {results.get("img_path")} is {fake.shape} '
                f'{fake.dtype}, its pair\'s band is of a {height} x {width} '
                f'x {channels} image (uint8 or float32 fakes)')
            return None
        mask, b, k = self._kernels.mask(height, width,
                                        **mask_args(settings, height, width))
        if b > a or k > k_stored:
            self._band_fallback(f'the mask ({b}, {k}) is larger than the '
                                f'stored band ({a}, {k_stored})')
            return None
        band = cache.block(entry)[a - b:a + b + 1, :, :, :k]
        return freda_from_band(fake, band, mask,
                               self._kernels.ops(height, width, b, k))

    @staticmethod
    def _range(name: str, value) -> Tuple[float, float]:
        if isinstance(value, (int, float)):
            low_high = (float(value), float(value))
        else:
            low_high = tuple(float(r) for r in value)
            if len(low_high) != 2 or low_high[0] > low_high[1]:
                raise ValueError(f'{name} must be a number or a (low, high) '
                                 f'pair, got {value!r}')
        if low_high[0] < 0:
            raise ValueError(f'{name} must be >= 0, got {value!r}')
        return low_high

    def _sample_radius(self) -> float:
        """One image's radius, in the unit of the setting (``band`` or
        ``radius_ratio``)."""
        low, high = self.band_range or self.radius_range
        return low if low == high else float(np.random.uniform(low, high))

    def _settings(self) -> dict:
        """One image's mask settings (see ``mask_args``)."""
        settings = {self._unit: self._sample_radius(),
                    'mask_shape': self.mask_shape}
        if self.mask_edge != 'hard':
            settings.update(mask_edge=self.mask_edge,
                            edge_width=self.edge_width)
        return settings

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
        if self.apply_to == 'easy' and not results.get(QC_EASY, False):
            return False
        return self.prob >= 1.0 or np.random.rand() < self.prob

    def transform(self, results: dict) -> dict:
        results[FREDA_APPLIED] = False
        fake = results['img']
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

        if fake.ndim != 3:
            raise ValueError(f'FreqAugment needs an H x W x C image, got '
                             f'{fake.shape} for {results.get("img_path")}')
        settings = self._settings()
        if self._pair_bands is not None:
            mixed = self._mix_from_band(results, fake, settings)
            if mixed is not None:
                results[FREDA_APPLIED] = True
                results['img'] = mixed
                return results
        real = self._load_pair(pair_path, fake.shape)
        results[FREDA_APPLIED] = True
        height, width = fake.shape[:2]
        mask = self._masks.get(height, width,
                               **mask_args(settings, height, width))
        results['img'] = freda_image(fake, real, mask)
        return results

    def __repr__(self) -> str:
        radius = (f'band={self.band_range}' if self.band_range else
                  f'radius_ratio={self.radius_range}')
        edge = f'mask_edge={self.mask_edge!r}'
        if self.edge_width is not None:
            edge += f', edge_width={self.edge_width}'
        bands = '' if self._pair_bands is None else \
            f', pair_bands={self._pair_bands[0].prefix!r}'
        return (f'{self.__class__.__name__}(mask_shape={self.mask_shape!r}, '
                f'{radius}, {edge}, prob={self.prob}, '
                f'apply_to={self.apply_to!r}{bands})')
