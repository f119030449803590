"""Self-blended images (SBI): a fake made from one real face alone.

After Shiohara & Yamasaki, *Detecting Deepfakes with Self-Blended Images*
(CVPR 2022): a real face is blended with a slightly altered copy of itself
(colour, frequency content, a small resize and shift) inside a mask built from
its landmarks. The result carries the generic traces of face forgery (a
blending boundary, a colour and texture mismatch between the inner face and
its surroundings) without any forgery method, so a detector trained on reals
and their self-blends alone meets no method-specific artefact to overfit to.

Here the generator is written against three *knobs* whose settings decide how
visible a self-blend is: the blend ratio, the softness of the mask's edge and
the colour gap between the altered copy and the face. :meth:`SelfBlend.realism`
maps them to a realism in [0, 1] (1 = subtlest), and a sample can ask for a
realism (``results['sbi_realism']``), which is how the quality-centric
curriculum paces the generator (docs/sbi.md). The frequency change, the
resize and shift, and the mask's shape are drawn independently of the realism:
they are the trace every self-blend keeps.

Two transforms:

- :class:`SelfBlend` makes the self-blend. It needs ``results['landmarks']``
  (68 points in the loaded image's pixels), so it comes first after loading.
- :class:`SelfBlendFreqAugment` is ``FreqAugment`` (FreDA) reading the pair
  from ``results['pair_img']``, the image the blend was built on, already in
  memory, instead of decoding ``pair_path`` again.
"""
import logging
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from qcdet.registry import TRANSFORMS
from qcdet.utils.geometry import transform_points

from .freq_augment import FreqAugment

__all__ = ['SelfBlend', 'SelfBlendFreqAugment', 'split_visibility',
           'REALISM_KNOBS', 'HULL_TYPES', 'FREQUENCY_OPS', 'LANDMARKS_HELP']

#: the knobs the realism is a function of, in the order of
#: ``realism_weights``
REALISM_KNOBS = ('blend_ratio', 'mask_softness', 'colour_gap')
#: mask regions: the hull of all 68 points; of the brows, eyes, nose and
#: mouth (17-67); the union of the hulls of three parts (jaw with mouth,
#: nose, brows with eyes)
HULL_TYPES = ('full', 'inner', 'parts')
#: changes of the altered copy's frequency content, one drawn per blend
FREQUENCY_OPS = ('downscale', 'sharpen', 'blur', 'jpeg')
_APPLY_TO = ('marked', 'reals')
_COLOUR_KEYS = ('hue', 'saturation', 'brightness', 'contrast', 'rgb_shift')
#: at colour gap 1: hue shift (degrees), saturation and contrast (relative),
#: brightness (fraction of 255) and the RGB shift (grey levels, largest
#: channel); each is scaled by the colour gap and given a random sign
DEFAULT_COLOUR_LIMITS = dict(hue=5.0, saturation=0.15, brightness=0.1,
                             contrast=0.1, rgb_shift=20.0)
_FIT = 1 << 4  # fractional bits of cv2 polygon coordinates
LANDMARKS_HELP = (
    "68 facial landmarks per frame (record key 'landmarks': 68 [x, y] in the "
    'stored crop\'s pixels). Real data: python tools/data/preprocess.py ... '
    '--landmarks; the synthetic demo data writes them for every frame: '
    'python tools/data/make_demo_data.py')


def split_visibility(visibility: float, weights: Sequence[float],
                     spread: float = 0.8) -> np.ndarray:
    """Per-knob visibilities in [0, 1] whose ``weights``-weighted mean is
    exactly ``visibility``.

    Each knob gets ``visibility + d_j`` with ``sum(w_j d_j) = 0`` and
    ``|d_j| <= spread * min(visibility, 1 - visibility)``: a random split, so
    one realism is reached by many settings (a full blend of a small colour
    gap, or a faint blend of a large one), and every knob stays in range.
    Draws from numpy's global RNG.
    """
    w = np.asarray(weights, dtype=np.float64)
    room = min(visibility, 1.0 - visibility)
    u = np.random.uniform(-1.0, 1.0, len(w))
    d = u - np.dot(w, u) / w.sum()
    peak = np.abs(d).max()
    if room <= 0 or peak <= 0 or spread <= 0:
        return np.full(len(w), float(visibility))
    d *= spread * room / peak * np.random.uniform(0.0, 1.0)
    return np.clip(visibility + d, 0.0, 1.0)


def _check_pair(name: str, value, low: float = -np.inf,
                high: float = np.inf, strict: bool = True) -> Tuple:
    values = tuple(float(v) for v in value)
    ok = len(values) == 2 and low <= values[0] and values[1] <= high and (
        values[0] < values[1] if strict else values[0] <= values[1])
    if not ok:
        raise ValueError(f'{name} must be (low, high) with {low} <= low '
                         f'{"<" if strict else "<="} high <= {high}, got '
                         f'{value!r}')
    return values


def _polygon(points: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """Filled convex hull of ``points`` (x, y) as a uint8 0/1 mask."""
    mask = np.zeros(shape, np.uint8)
    hull = cv2.convexHull(np.round(points * _FIT).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1, cv2.LINE_8, 4)
    return mask


def _odd_kernel(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                     (2 * radius + 1, 2 * radius + 1))


@TRANSFORMS.register_module()
class SelfBlend(BaseTransform):
    """Turns a real face into its self-blended image (label 1, fake).

    Reads ``img`` (H x W x 3, BGR, uint8 or float32) and ``landmarks`` (a
    ``(68, 2)`` array of (x, y) in ``img``'s pixels, iBUG order; points may
    lie outside the image). Writes:

    - ``img``: the self-blend, same shape and dtype; ``label``: 1;
      ``method``: ``'self_blend'`` where it was ``'real'`` or unset;
    - ``pair_img``: the image the blend was built on (the loaded real,
      or, with ``transform_target_prob``, its altered version): pixel-aligned
      with ``img``, which equals it wherever ``sbi_mask`` is 0;
      ``pair_path``: the real's ``img_path`` where no pair was set;
    - ``sbi_mask``: H x W float32 blend weights in [0, blend ratio];
    - ``sbi_params``: the generation parameters (plain floats and strings),
      their ``realism`` in [0, 1] and ``mask_margin_px``, the distance the
      mask can reach outside the landmarks' convex hull;
    - ``self_blend``: True.

    The blend: ``img = target + m * (source - target)``, ``m`` the soft mask
    times the blend ratio. The source is the face after a colour change (the
    colour gap), one frequency change (``frequency_ops``) and a small resize
    and shift (``scale_range``, ``translate``); the target is the face as
    loaded. The mask is the convex hull of (part of) the landmarks
    (``hull_types``), eroded or dilated (``erode_dilate``), moved with the
    source, warped by a smooth random field (``elastic``) and blurred with a
    Gaussian of the mask softness.

    The realism (1 = subtlest) is one minus the weighted mean of the three
    knobs' visibilities in [0, 1] (:meth:`realism`): the blend ratio's place
    in ``blend_ratio_range``, the mask blur's place in ``mask_blur_range``
    counted from the sharpest end, and the colour gap itself. A sample with
    ``results['sbi_realism']`` (the dataset's realism level, see
    ``DeepfakeDataset(self_blend=True)``) gets knobs of exactly that realism,
    split at random among them (:func:`split_visibility`); one without draws
    its realism uniformly from ``realism_range``.

    Random draws come from numpy's global RNG, so a seeded sample
    (``DeepfakeDataset[(i, easy, seed)]``, or ``np.random.seed``) gives the
    same self-blend every time.

    Where it goes: first after loading. The landmarks are in the loaded
    image's pixels, so nothing that moves pixels may come before it;
    ``DeepfakeDataset`` refuses such a pipeline when it is built
    (:meth:`check_earlier_transforms`).

    Args:
        apply_to: ``'marked'`` (default): samples whose results say
            ``self_blend=True`` (``DeepfakeDataset(self_blend=True)`` marks
            the self-blend records; reals pass through); ``'reals'``: every
            real (label 0) that reaches it.
        realism_range: realism drawn uniformly where the sample asks for
            none.
        realism_weights: weights of the blend ratio, mask softness and
            colour gap in the realism (``REALISM_KNOBS``).
        knob_spread: how far, in [0, 1], the knobs may stray from the target
            visibility (0: all at the target).
        blend_ratio_range: blend ratio from most subtle to full (SBI draws
            from 0.25, 0.5, 0.75 and 1).
        mask_blur_range: Gaussian sigma of the mask's edge, as a fraction of
            the face size (the square root of the landmarks' hull area),
            from sharpest to softest.
        colour_limits: the colour change at colour gap 1 (keys of
            ``DEFAULT_COLOUR_LIMITS``; missing keys keep the default).
        frequency_ops: frequency changes of the source, one drawn per blend
            (``FREQUENCY_OPS``).
        downscale_factors: ``'downscale'``: factors drawn from (down by
            nearest neighbour, up bilinearly; SBI's 2 and 4).
        sharpen_range: ``'sharpen'``: unsharp-mask amount.
        blur_range: ``'blur'``: Gaussian sigma in pixels.
        jpeg_range: ``'jpeg'``: JPEG quality.
        hull_types: mask regions drawn from (``HULL_TYPES``).
        erode_dilate: largest erosion (negative) and dilation (positive) of
            the mask, as fractions of the face size.
        elastic: largest displacement of the mask's smooth random warp, as a
            fraction of the face size.
        scale_range: resize of the source about the face centre.
        translate: largest shift of the source, as fractions of the image
            width and height.
        transform_target_prob: chance that the colour and frequency changes
            alter the target (the whole image around the blended face)
            instead of the source. SBI uses 0.5, feeding that altered target
            as the real; here the reals are separate samples loaded as they
            are, so an altered target would make a global change a cue for
            "fake" (default 0).
        min_face_size: smallest face size in pixels (hull area's root);
            smaller faces raise.
    """

    def __init__(self,
                 apply_to: str = 'marked',
                 realism_range: Sequence[float] = (0.0, 1.0),
                 realism_weights: Sequence[float] = (1.0, 1.0, 1.0),
                 knob_spread: float = 0.8,
                 blend_ratio_range: Sequence[float] = (0.25, 1.0),
                 mask_blur_range: Sequence[float] = (0.01, 0.08),
                 colour_limits: Optional[Dict[str, float]] = None,
                 frequency_ops: Sequence[str] = FREQUENCY_OPS,
                 downscale_factors: Sequence[float] = (2.0, 4.0),
                 sharpen_range: Sequence[float] = (0.3, 1.0),
                 blur_range: Sequence[float] = (0.5, 1.5),
                 jpeg_range: Sequence[int] = (40, 90),
                 hull_types: Sequence[str] = HULL_TYPES,
                 erode_dilate: Sequence[float] = (-0.04, 0.04),
                 elastic: float = 0.03,
                 scale_range: Sequence[float] = (0.95, 1 / 0.95),
                 translate: Sequence[float] = (0.03, 0.015),
                 transform_target_prob: float = 0.0,
                 min_face_size: float = 8.0) -> None:
        if apply_to not in _APPLY_TO:
            raise ValueError(
                f'apply_to must be one of {_APPLY_TO}, got {apply_to!r}')
        self.apply_to = apply_to
        self.realism_range = _check_pair('realism_range', realism_range, 0, 1,
                                         strict=False)
        weights = tuple(float(w) for w in realism_weights)
        if len(weights) != len(REALISM_KNOBS) or min(weights) < 0 or \
                sum(weights) <= 0:
            raise ValueError(
                f'realism_weights must be {len(REALISM_KNOBS)} weights >= 0 '
                f'(for {REALISM_KNOBS}) with a positive sum, got '
                f'{realism_weights!r}')
        self.realism_weights = weights
        if not 0.0 <= knob_spread <= 1.0:
            raise ValueError(f'knob_spread must be in [0, 1], got '
                             f'{knob_spread}')
        self.knob_spread = float(knob_spread)
        self.blend_ratio_range = _check_pair('blend_ratio_range',
                                             blend_ratio_range, 0, 1)
        self.mask_blur_range = _check_pair('mask_blur_range', mask_blur_range,
                                           0, 1)
        unknown = sorted(set(colour_limits or {}) - set(_COLOUR_KEYS))
        if unknown:
            raise KeyError(f'colour_limits: unknown keys {unknown}; known: '
                           f'{list(_COLOUR_KEYS)}')
        self.colour_limits = dict(DEFAULT_COLOUR_LIMITS, **(colour_limits
                                                            or {}))
        if any(v < 0 for v in self.colour_limits.values()):
            raise ValueError(f'colour_limits must be >= 0, got '
                             f'{self.colour_limits}')
        self.frequency_ops = self._choices('frequency_ops', frequency_ops,
                                           FREQUENCY_OPS)
        self.hull_types = self._choices('hull_types', hull_types, HULL_TYPES)
        self.downscale_factors = tuple(float(f) for f in downscale_factors)
        if not self.downscale_factors or min(self.downscale_factors) < 1:
            raise ValueError('downscale_factors must be factors >= 1, got '
                             f'{downscale_factors!r}')
        self.sharpen_range = _check_pair('sharpen_range', sharpen_range, 0,
                                         strict=False)
        self.blur_range = _check_pair('blur_range', blur_range, 0,
                                      strict=False)
        self.jpeg_range = tuple(
            int(q) for q in _check_pair('jpeg_range', jpeg_range, 1, 100,
                                        strict=False))
        self.erode_dilate = _check_pair('erode_dilate', erode_dilate, -0.5,
                                        0.5, strict=False)
        if not 0.0 <= elastic <= 0.5:
            raise ValueError(f'elastic must be in [0, 0.5], got {elastic}')
        self.elastic = float(elastic)
        self.scale_range = _check_pair('scale_range', scale_range, 0.5, 2.0,
                                       strict=False)
        self.translate = tuple(float(t) for t in translate)
        if len(self.translate) != 2 or min(self.translate) < 0:
            raise ValueError('translate must be (x, y) fractions >= 0, got '
                             f'{translate!r}')
        if not 0.0 <= transform_target_prob <= 1.0:
            raise ValueError('transform_target_prob must be in [0, 1], got '
                             f'{transform_target_prob}')
        self.transform_target_prob = float(transform_target_prob)
        self.min_face_size = float(min_face_size)

    @staticmethod
    def _choices(name: str, values: Sequence[str],
                 known: Sequence[str]) -> Tuple[str, ...]:
        values = tuple(values)
        bad = [v for v in values if v not in known]
        if not values or bad:
            raise ValueError(f'{name} must be a non-empty subset of '
                             f'{tuple(known)}, got {values!r}')
        return values

    # -------------------------------------------------------------- checks
    def check_earlier_transforms(self, transforms: Sequence) -> None:
        """Refuses a pipeline in which something other than loading comes
        before this transform: ``landmarks`` are in the loaded image's
        pixels, and a resize, flip or crop before the blend would leave them
        off the face. ``DeepfakeDataset`` calls it with the transforms before
        this one when it is built. A class that keeps the landmarks true
        (moves them with the pixels, or moves no pixels) opts in with
        ``keeps_landmarks = True``."""
        for transform in transforms:
            name = type(transform).__name__
            if name.startswith('Load') or getattr(transform,
                                                  'keeps_landmarks', False):
                continue
            raise ValueError(
                f'{name} comes before SelfBlend in the pipeline. SelfBlend '
                "reads results['landmarks'] in the pixels of the image as "
                'loaded, and a transform before it that moves pixels '
                '(resize, flip, crop, rotation) leaves them off the face. '
                f'Put SelfBlend first after loading, before {name} (or give '
                f'{name} keeps_landmarks = True if it keeps them true)')

    def _wants(self, results: dict) -> bool:
        if self.apply_to == 'marked':
            return bool(results.get('self_blend', False))
        return results.get('label', 0) == 0

    def _landmarks(self, results: dict) -> np.ndarray:
        where = results.get('img_path', '<no img_path>')
        points = results.get('landmarks')
        if points is None:
            raise KeyError(
                f'SelfBlend needs results["landmarks"] for {where}, and the '
                f'sample has none. It needs {LANDMARKS_HELP}')
        try:
            points = np.asarray(points, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise ValueError(f'SelfBlend: landmarks of {where} are not '
                             f'numbers ({err})') from err
        if points.shape != (68, 2) or not np.isfinite(points).all():
            raise ValueError(
                f'SelfBlend: landmarks of {where} must be 68 finite (x, y) '
                f'points, got shape {points.shape}')
        return points

    # ------------------------------------------------------------ realism
    def visibilities(self, blend_ratio: float, mask_blur: float,
                     colour_gap: float) -> np.ndarray:
        """Each knob's visibility in [0, 1] (1 = most visible): the blend
        ratio's place in ``blend_ratio_range``, the mask blur's place in
        ``mask_blur_range`` from the softest end (a sharp edge is visible),
        and the colour gap."""
        (r0, r1), (b0, b1) = self.blend_ratio_range, self.mask_blur_range
        return np.clip(
            np.array([(blend_ratio - r0) / (r1 - r0),
                      (b1 - mask_blur) / (b1 - b0),
                      colour_gap]), 0.0, 1.0)

    def realism(self, blend_ratio: float, mask_blur: float,
                colour_gap: float) -> float:
        """Realism in [0, 1] of a self-blend made with these knobs: one minus
        the ``realism_weights``-weighted mean of their visibilities. 1: the
        faintest blend ratio, the softest edge and no colour gap; 0: a full
        blend with the sharpest edge and the largest colour change."""
        v = self.visibilities(blend_ratio, mask_blur, colour_gap)
        w = np.asarray(self.realism_weights)
        return float(1.0 - np.dot(w, v) / w.sum())

    def knobs_for(self, realism: float) -> Dict[str, float]:
        """Knobs of exactly ``realism`` (their split drawn at random)."""
        v = split_visibility(1.0 - realism, self.realism_weights,
                             self.knob_spread)
        (r0, r1), (b0, b1) = self.blend_ratio_range, self.mask_blur_range
        return dict(blend_ratio=float(np.clip(r0 + v[0] * (r1 - r0), r0, r1)),
                    mask_blur=float(np.clip(b1 - v[1] * (b1 - b0), b0, b1)),
                    colour_gap=float(v[2]))

    # --------------------------------------------------------- generation
    def _mask(self, points: np.ndarray, shape: Tuple[int, int],
              face: float, affine: np.ndarray,
              params: dict) -> np.ndarray:
        """The blend mask before its blur, as float32 0/1, and its reach
        outside the landmarks' hull so far (in ``params``)."""
        hull_type = self.hull_types[np.random.randint(len(self.hull_types))]
        if hull_type == 'full':
            mask = _polygon(points, shape)
        elif hull_type == 'inner':
            mask = _polygon(points[17:], shape)
        else:
            mask = np.zeros(shape, np.uint8)
            for part in (np.r_[0:17, 48:68], np.r_[27:36],
                         np.r_[17:27, 36:48, 0, 16, 27]):
                mask |= _polygon(points[part], shape)
        low, high = self.erode_dilate
        radius = int(round(np.random.uniform(low, high) * face))
        if radius > 0:
            mask = cv2.dilate(mask, _odd_kernel(radius))
        elif radius < 0:
            mask = cv2.erode(mask, _odd_kernel(-radius))
        height, width = shape
        mask = cv2.warpAffine(mask.astype(np.float32), affine,
                              (width, height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT)
        # the affine map's displacement is affine too: largest at a vertex
        hull = cv2.convexHull(points).reshape(-1, 2).astype(np.float64)
        moved = transform_points(hull, affine)
        shift = float(np.linalg.norm(moved - hull, axis=1).max())
        elastic_px = np.random.uniform(0.5, 1.0) * self.elastic * face
        field = np.random.normal(0.0, 1.0, (2, 5, 5)).astype(np.float32)
        if elastic_px > 0:
            dx, dy = (cv2.resize(f, (width, height),
                                 interpolation=cv2.INTER_CUBIC)
                      for f in field)
            peak = float(np.sqrt(dx**2 + dy**2).max())
            if peak > 0:
                dx, dy = dx * (elastic_px / peak), dy * (elastic_px / peak)
                grid_y, grid_x = np.mgrid[0:height, 0:width].astype(
                    np.float32)
                mask = cv2.remap(mask, grid_x + dx, grid_y + dy,
                                 cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)
        mask = (mask > 0.5).astype(np.float32)
        params.update(hull_type=hull_type, erode_dilate_px=radius,
                      elastic_px=float(elastic_px))
        # +1 for each of the two linear warps: a pixel they half cover can
        # round into the mask
        params['mask_margin_px'] = (max(radius, 0) * max(params['scale'], 1.0)
                                    + shift + elastic_px + 2.0)
        return mask

    def _colour(self, img: np.ndarray, gap: float, params: dict) -> np.ndarray:
        """The colour change of size ``gap``: every part at ``gap`` times
        its limit, with a random sign (the RGB shift in a random direction
        whose largest channel is at the limit)."""
        lim = self.colour_limits

        def signed(key):
            return float(gap * lim[key] * np.random.choice((-1.0, 1.0)))

        hue, sat = signed('hue'), signed('saturation')
        bright, contrast = signed('brightness'), signed('contrast')
        direction = np.random.uniform(-1.0, 1.0, 3)
        direction /= max(np.abs(direction).max(), 1e-6)
        rgb = gap * lim['rgb_shift'] * direction  # B, G, R
        out = img
        if hue or sat:
            hsv = cv2.cvtColor(np.clip(img / 255.0, 0, 1).astype(np.float32),
                               cv2.COLOR_BGR2HSV)
            hsv[..., 0] = np.mod(hsv[..., 0] + hue, 360.0)
            hsv[..., 1] = np.clip(hsv[..., 1] * (1.0 + sat), 0.0, 1.0)
            out = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR) * 255.0
        mean = out.mean(axis=(0, 1), keepdims=True)
        out = (out - mean) * (1.0 + contrast) + mean + bright * 255.0 + \
            rgb.astype(np.float32)
        params['colour'] = dict(hue=hue, saturation=sat, brightness=bright,
                                contrast=contrast,
                                rgb_shift=[float(c) for c in rgb])
        return np.clip(out, 0.0, 255.0).astype(np.float32)

    def _frequency(self, img: np.ndarray, params: dict) -> np.ndarray:
        op = self.frequency_ops[np.random.randint(len(self.frequency_ops))]
        height, width = img.shape[:2]
        if op == 'downscale':
            factor = self.downscale_factors[np.random.randint(
                len(self.downscale_factors))]
            small = cv2.resize(img, (max(1, int(width / factor)),
                                     max(1, int(height / factor))),
                               interpolation=cv2.INTER_NEAREST)
            out = cv2.resize(small, (width, height),
                             interpolation=cv2.INTER_LINEAR)
            strength = factor
        elif op == 'sharpen':
            strength = float(np.random.uniform(*self.sharpen_range))
            out = img + strength * (img - cv2.GaussianBlur(img, (0, 0), 1.0))
        elif op == 'blur':
            strength = float(np.random.uniform(*self.blur_range))
            out = cv2.GaussianBlur(img, (0, 0), max(strength, 1e-3))
        else:
            low, high = self.jpeg_range
            strength = int(np.random.randint(low, high + 1))
            ok, buffer = cv2.imencode(
                '.jpg', np.clip(np.rint(img), 0, 255).astype(np.uint8),
                [int(cv2.IMWRITE_JPEG_QUALITY), strength])
            if not ok:
                raise ValueError('SelfBlend: JPEG encoding failed')
            out = cv2.imdecode(buffer, cv2.IMREAD_COLOR).astype(np.float32)
        params.update(frequency_op=op, frequency_strength=float(strength))
        return np.clip(out, 0.0, 255.0).astype(np.float32)

    def _affine(self, points: np.ndarray, shape: Tuple[int, int],
                params: dict) -> np.ndarray:
        height, width = shape
        scale = float(np.random.uniform(*self.scale_range))
        tx = float(np.random.uniform(-1, 1) * self.translate[0] * width)
        ty = float(np.random.uniform(-1, 1) * self.translate[1] * height)
        cx, cy = (float(c) for c in points.mean(axis=0))
        affine = np.array([[scale, 0.0, (1 - scale) * cx + tx],
                           [0.0, scale, (1 - scale) * cy + ty]])
        params.update(scale=scale, translate_px=[tx, ty])
        return affine

    def _realism_target(self, results: dict) -> float:
        target = results.get('sbi_realism')
        if target is None:
            low, high = self.realism_range
            return float(low if low == high else np.random.uniform(low, high))
        target = float(target)
        if not 0.0 <= target <= 1.0:
            raise ValueError(f'sbi_realism must be in [0, 1], got {target} '
                             f'({results.get("img_path")})')
        return target

    def transform(self, results: dict) -> dict:
        if not self._wants(results):
            return results
        img = results.get('img')
        where = results.get('img_path', '<no img_path>')
        if img is None or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                'SelfBlend needs an H x W x 3 image in results["img"] (put '
                f'it right after LoadFrame), got '
                f'{None if img is None else img.shape} for {where}')
        points = self._landmarks(results)
        shape = img.shape[:2]
        face = float(np.sqrt(cv2.contourArea(cv2.convexHull(points))))
        if face < self.min_face_size:
            raise ValueError(
                f'SelfBlend: the landmarks of {where} span a face of '
                f'{face:.1f} px (square root of their hull area), below '
                f'min_face_size={self.min_face_size}; are they in the '
                'pixels of this image?')

        realism = self._realism_target(results)
        knobs = self.knobs_for(realism)
        params = dict(realism=realism, **knobs, face_size_px=face)
        base = img.astype(np.float32)
        alter_target = (self.transform_target_prob > 0 and
                        np.random.rand() < self.transform_target_prob)
        altered = self._frequency(
            self._colour(base, knobs['colour_gap'], params), params)
        source, target = (base, altered) if alter_target else (altered, base)
        affine = self._affine(points, shape, params)
        source = cv2.warpAffine(source, affine, (shape[1], shape[0]),
                                flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT_101)
        mask = self._mask(points, shape, face, affine, params)
        sigma = knobs['mask_blur'] * face
        radius = int(np.ceil(3.0 * sigma))
        if radius > 0:
            mask = cv2.GaussianBlur(mask, (2 * radius + 1, 2 * radius + 1),
                                    sigma, borderType=cv2.BORDER_CONSTANT)
        peak = float(mask.max())
        if peak <= 0:
            raise ValueError(f'SelfBlend: the blend mask of {where} came out '
                             'empty (landmarks outside the image?)')
        mask = mask * (knobs['blend_ratio'] / peak)
        mask[mask < 1e-6] = 0.0
        params.update(mask_sigma_px=float(sigma),
                      transformed='target' if alter_target else 'source')
        params['mask_margin_px'] += radius
        blended = target + mask[..., None] * (source - target)
        if np.issubdtype(img.dtype, np.integer):
            blended = np.clip(np.rint(blended), 0, 255)
            target = np.clip(np.rint(target), 0, 255)
        results['img'] = blended.astype(img.dtype)
        results['pair_img'] = target.astype(img.dtype)
        if not results.get('pair_path'):
            results['pair_path'] = results.get('img_path')
        results['label'] = 1
        if results.get('method') in (None, 'real'):
            results['method'] = 'self_blend'
        results['self_blend'] = True
        results['sbi_mask'] = mask.astype(np.float32)
        params['realism'] = self.realism(knobs['blend_ratio'],
                                         knobs['mask_blur'],
                                         knobs['colour_gap'])
        results['sbi_params'] = params
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(apply_to={self.apply_to!r}, '
                f'realism_weights={self.realism_weights}, '
                f'blend_ratio_range={self.blend_ratio_range}, '
                f'mask_blur_range={self.mask_blur_range}, '
                f'frequency_ops={self.frequency_ops}, '
                f'hull_types={self.hull_types})')


@TRANSFORMS.register_module()
class SelfBlendFreqAugment(FreqAugment):
    """:class:`FreqAugment` (FreDA) that takes the pair from
    ``results['pair_img']`` where a sample has one: a self-blend's pair is
    the image it was built on, already in memory, so nothing is decoded
    again (and an altered target, ``transform_target_prob``, is the pair it
    is aligned with, not the file at ``pair_path``). Samples without
    ``pair_img`` read ``pair_path`` as ``FreqAugment`` does. Same arguments,
    same placement: right after ``SelfBlend``. It drops ``pair_img`` once
    used (the geometric transforms that follow would not move it)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pair_in_memory: Optional[np.ndarray] = None

    def _load_pair(self, path: str, shape: tuple) -> np.ndarray:
        pair = self._pair_in_memory
        if pair is None:
            return super()._load_pair(path, shape)
        if pair.ndim != 3 or pair.shape[2] != shape[2]:
            raise ValueError(f'pair_img of {path} has shape {pair.shape}, '
                             f'the fake has {shape}')
        if pair.shape[:2] != tuple(shape[:2]):
            self.num_resized += 1
            if self.num_resized == 1:
                print_log(
                    f'SelfBlendFreqAugment: pair_img is {pair.shape[:2]}, the '
                    f'fake {shape[:2]}; resizing (warned once)',
                    logger='current', level=logging.WARNING)
            pair = cv2.resize(pair, (shape[1], shape[0]),
                              interpolation=cv2.INTER_LINEAR)
        return pair

    def transform(self, results: dict) -> dict:
        self._pair_in_memory = results.pop('pair_img', None)
        try:
            return super().transform(results)
        finally:
            self._pair_in_memory = None
