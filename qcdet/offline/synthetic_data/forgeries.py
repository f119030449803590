"""Forgery families of the synthetic demo dataset, benchmarks v1 and v2.

Each family turns a rendered real :class:`~.faces.Frame` into a fake that is
pixel-aligned with it: the fake equals the real frame outside a (feathered)
region mask, and inside it carries the family's artefact. A quality knob
``q`` in [0, 1] (1 = most realistic) sets the artefact strength through
``level = 1 - q``; every strength is ``floor + span * level``, so artefacts
shrink monotonically as q rises but never vanish (a detector can still learn
q = 1 fakes).

Randomness that is not the artefact strength (donor, warp field, pattern
phase, ...) is drawn once per video by ``sample_params`` and is independent
of q, so one frame faked at two q values differs only in strength. Lengths
are given for 64 px images and scaled with the image size.

Two benchmarks share the family names and classes: v1 (``FORGERY_FAMILIES``,
fine traces only) and v2 (``FORGERY_FAMILIES_V2``: the same fakes plus
coarse, low-frequency cues, the families built with ``coarse_cues=True``; see
:class:`CueFamily`). Benchmark v3 has families of its own (``forgeries_v3``).
"""
import dataclasses
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

from .faces import (
    INNER_FACE_FIELDS,
    Frame,
    Identity,
    render_frame,
    sample_identity,
)
from .family_base import (
    ForgeryFamily,
    _feather,
    _level,
    _smooth_field,
    _unit,
)
from .forgeries_v3 import FORGERY_FAMILIES_V3

__all__ = [
    'ForgeryFamily', 'CueFamily', 'BlendSwap', 'WarpReenact', 'Upsample',
    'TextureNoise', 'FORGERY_FAMILIES', 'FORGERY_FAMILIES_V2', 'BENCHMARKS',
    'families_for', 'make_fake'
]


def _composite(real: np.ndarray, manipulated: np.ndarray,
               mask: np.ndarray) -> np.ndarray:
    """``real`` where ``mask`` is 0 (bit-exact), ``manipulated`` where it is
    1."""
    m = mask[..., None]
    out = real.astype(np.float32) * (1 - m) + manipulated.astype(
        np.float32) * m
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _ramp(size: int, angle: float) -> np.ndarray:
    """A linear ramp from -1 to 1 across the image along ``angle`` (radians):
    a directional light change."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1) * 2 - 1
    return (xx * np.cos(angle) + yy * np.sin(angle)) / (abs(np.cos(angle)) +
                                                        abs(np.sin(angle)))


class CueFamily(ForgeryFamily):
    """A family of benchmarks v1 and v2: its fine traces (v1), plus with
    ``coarse_cues=True`` its family-specific coarse cues (v2: colour,
    illumination, shape, seams).

    Real low-quality deepfakes differ from their source mostly in low
    frequencies, which FreDA swaps for the real's; v1's fine traces hardly
    do, so FreDA was nearly a no-op on them. The cues are drawn per video by
    ``sample_cues`` (independent of q) and scaled by ``strength = 0.1 + 0.9 *
    level``: strong at low q, faint at q = 1. ``coarse(fake, frame, level,
    params)`` returns the re-manipulated image and the region mask it applies
    in (so the fake stays aligned with its real outside the face). The cue
    amplitudes are calibrated with ``studies/freda_energy.py``: FreDA
    (circle, radius 0.1) removes 0.35-0.85 of a low-tercile fake's difference
    energy at 64 px, as it does on FF++ c23 Deepfakes to NeuralTextures.

    A family implements ``sample_trace_params`` and ``fine_fake`` (v1's
    fake), and ``sample_cues`` and ``coarse`` (v2's cues on top of it).
    """
    floor = 0.1

    def __init__(self, coarse_cues: bool = False):
        self.coarse_cues = coarse_cues

    def sample_params(self, rng, target, donors=()):
        params = self.sample_trace_params(rng, target, donors)
        if self.coarse_cues:
            params['cues'] = self.sample_cues(rng)
        return params

    def apply(self, frame, q, params, rng):
        fake = self.fine_fake(frame, q, params, rng)
        if not self.coarse_cues:
            return fake
        manipulated, mask = self.coarse(fake.astype(np.float32), frame,
                                        _level(q), params)
        return _composite(fake, manipulated, mask)

    def sample_trace_params(self, rng: np.random.Generator, target: Identity,
                            donors: Sequence[Identity] = ()) -> Dict:
        raise NotImplementedError

    def fine_fake(self, frame: Frame, q: float, params: Dict,
                  rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def sample_cues(self, rng: np.random.Generator) -> Dict:
        raise NotImplementedError

    def coarse(self, fake: np.ndarray, frame: Frame, level: float,
               params: Dict):
        raise NotImplementedError

    def strength(self, level: float) -> float:
        return self.floor + (1 - self.floor) * level


class BlendSwap(CueFamily):
    """Face swap: a donor's inner face rendered in the target's pose and
    blended in with a mask.

    Artefacts that shrink with q: colour mismatch to the target skin, blur
    (resolution loss of the swapped face) and a hard blending seam. Residue
    at q = 1: a slight colour shift and blur. Coarse cues: the inner face
    keeps the donor's colour and lighting (a colour offset plus a light ramp)
    and meets the target at a visible seam (a hard mask at low q).
    """
    name = 'blend_swap'

    def sample_trace_params(self, rng, target, donors=()):
        donors = [d for d in donors if d != target]
        donor = donors[rng.integers(
            len(donors))] if donors else sample_identity(rng)
        direction = rng.normal(0, 1, 3)
        direction /= np.linalg.norm(direction) + 1e-6
        return dict(donor=donor,
                    color_shift=tuple(direction * rng.uniform(25, 45)))

    def fine_fake(self, frame, q, params, rng):
        level = _level(q)
        px = frame.size / 64.
        target = frame.identity
        residual_shift = np.asarray(
            params['color_shift']) * (0.15 + 0.85 * level)
        skin = tuple(
            float(c)
            for c in np.clip(np.asarray(target.skin) + residual_shift, 0, 255))
        hybrid = dataclasses.replace(target,
                                     skin=skin,
                                     **{
                                         key: getattr(params['donor'], key)
                                         for key in INNER_FACE_FIELDS
                                     })
        swapped = render_frame(hybrid, frame.pose, frame.size,
                               frame.background)
        noisy = swapped.clean + rng.normal(
            0, frame.noise_sigma, swapped.clean.shape).astype(np.float32)
        blurred = cv2.GaussianBlur(noisy, (0, 0), (0.6 + 1.6 * level) * px)
        mask = np.maximum(frame.masks['inner'], swapped.masks['inner'])
        return _composite(frame.image, blurred,
                          _feather(mask, (0.5 + 1.5 * q) * px))

    def sample_cues(self, rng):
        return dict(offset=tuple(_unit(rng) * rng.uniform(40, 60)),
                    angle=float(rng.uniform(0, 2 * np.pi)),
                    light=float(rng.uniform(25, 40)))

    def coarse(self, fake, frame, level, params):
        cues = params['cues']
        delta = np.asarray(cues['offset'], np.float32) + _ramp(
            frame.size, cues['angle'])[..., None] * cues['light']
        mask = _feather(frame.masks['inner'],
                        (1.5 + 2.0 * (1 - level)) * frame.size / 64.)
        return fake + self.strength(level) * delta, mask


class WarpReenact(CueFamily):
    """Reenactment: the mouth and/or eye region is re-posed by a smooth warp
    and resampled.

    Artefacts that shrink with q: warp displacement (shape distortion) and
    resampling blur, which also wipes out the sensor noise there. Residue at
    q = 1: a sub-pixel warp and light blur. Coarse cues: the driving face has
    another shape (a large, smooth warp of the whole face) and other shading
    (a light ramp over the face).
    """
    name = 'warp_reenact'

    def sample_trace_params(self, rng, target, donors=()):
        region = ('mouth', 'eyes', 'both')[rng.integers(3)]
        field = rng.normal(0, 1, (2, 4, 4)).astype(np.float32)
        field /= np.abs(field).max() + 1e-6
        return dict(region=region, field=field)

    def fine_fake(self, frame, q, params, rng):
        level = _level(q)
        size = frame.size
        px = size / 64.
        if params['region'] == 'mouth':
            region = frame.masks['mouth']
        elif params['region'] == 'eyes':
            region = frame.masks['eyes']
        else:
            region = np.maximum(frame.masks['mouth'], frame.masks['eyes'])
        region = _feather(region, (1.0 + 1.0 * q) * px)
        amplitude = (0.8 + 4.5 * level) * px
        dx, dy = (_smooth_field(f, size) * amplitude * region
                  for f in params['field'])
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        warped = cv2.remap(frame.image.astype(np.float32),
                           xx + dx,
                           yy + dy,
                           cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
        warped = cv2.GaussianBlur(warped, (0, 0), (0.6 + 1.4 * level) * px)
        return _composite(frame.image, warped, region)

    def sample_cues(self, rng):
        field = rng.normal(0, 1, (2, 3, 3)).astype(np.float32)
        field /= np.abs(field).max() + 1e-6
        return dict(field=field,
                    angle=float(rng.uniform(0, 2 * np.pi)),
                    light=float(rng.uniform(60, 90)))

    def coarse(self, fake, frame, level, params):
        cues = params['cues']
        size = frame.size
        strength = self.strength(level)
        mask = _feather(frame.masks['face'], 1.5 * size / 64.)
        amplitude = 2.0 * strength * size / 64.
        dx, dy = (_smooth_field(f, size) * amplitude * mask
                  for f in cues['field'])
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        warped = cv2.remap(fake,
                           xx + dx,
                           yy + dy,
                           cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
        return warped + strength * cues['light'] * _ramp(
            size, cues['angle'])[..., None], mask


class Upsample(CueFamily):
    """Resolution mismatch: the face region is down-sampled and up-sampled
    again.

    Artefacts that shrink with q: the down-sampling factor (lost detail and
    sensor noise, blocky/ringing edges). Residue at q = 1: a factor 1.5
    resampling. Coarse cues: the up-sampled face is pasted back with other
    brightness and contrast, at a visible seam.
    """
    name = 'upsample'
    _interpolations = (cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST)

    def sample_trace_params(self, rng, target, donors=()):
        return dict(interpolation=int(rng.integers(len(self._interpolations))))

    def fine_fake(self, frame, q, params, rng):
        level = _level(q)
        size = frame.size
        factor = 1.5 + 3.0 * level
        small_size = max(2, int(round(size / factor)))
        image = frame.image.astype(np.float32)
        small = cv2.resize(image, (small_size, small_size),
                           interpolation=cv2.INTER_AREA)
        interpolation = self._interpolations[params['interpolation']]
        if interpolation == cv2.INTER_NEAREST and q > 0.5:
            # blocky up-sampling only for poor fakes
            interpolation = cv2.INTER_LINEAR
        up = cv2.resize(small, (size, size), interpolation=interpolation)
        mask = _feather(frame.masks['face'], (0.8 + 1.5 * q) * size / 64.)
        return _composite(frame.image, up, mask)

    def sample_cues(self, rng):
        return dict(
            contrast=float(rng.uniform(0.2, 0.4) * rng.choice([-1, 1])),
            brightness=float(rng.uniform(25, 40) * rng.choice([-1, 1])))

    def coarse(self, fake, frame, level, params):
        cues = params['cues']
        strength = self.strength(level)
        mask = _feather(frame.masks['face'],
                        (1.0 + 2.0 * (1 - level)) * frame.size / 64.)
        mean = (fake * mask[..., None]).sum((0, 1)) / (mask.sum() + 1e-6)
        adjusted = mean + (fake - mean) * (
            1 + strength * cues['contrast']) + strength * cues['brightness']
        return adjusted, mask


class TextureNoise(CueFamily):
    """GAN-like texture: a generated-looking face region, smooth (no sensor
    noise) with a periodic (checkerboard / transposed-convolution) pattern.

    Artefacts that shrink with q: the pattern amplitude and the smoothing.
    Residue at q = 1: a pattern of about three grey levels (comparable to the
    sensor noise, but periodic) on a lightly smoothed face. Coarse cues: a
    colour cast and a blotchy low-frequency tone shift of the generated
    region.
    """
    name = 'texture_noise'

    def sample_trace_params(self, rng, target, donors=()):
        period = int(rng.choice([2, 2, 3, 4]))
        tile = rng.normal(0, 1, (period, period)).astype(np.float32)
        if period == 2:
            tile = np.array([[1, -1], [-1, 1]], np.float32) + 0.3 * tile
        tile -= tile.mean()
        tile /= tile.std() + 1e-6
        channel_gain = rng.uniform(0.5, 1.0, 3) * rng.choice([-1, 1], 3)
        region = ('face', 'inner')[rng.integers(2)]
        return dict(tile=tile,
                    channel_gain=tuple(channel_gain),
                    offset=tuple(rng.integers(0, period, 2)),
                    region=region)

    def fine_fake(self, frame, q, params, rng):
        level = _level(q)
        size = frame.size
        tile = params['tile']
        period = tile.shape[0]
        reps = size // period + 2
        pattern = np.tile(tile, (reps, reps))
        oy, ox = params['offset']
        pattern = pattern[oy:oy + size, ox:ox + size]
        px = size / 64.
        amplitude = 3.0 + 15.0 * level
        texture = pattern[..., None] * np.asarray(params['channel_gain'],
                                                  np.float32) * amplitude
        smooth = cv2.GaussianBlur(frame.image.astype(np.float32), (0, 0),
                                  (0.5 + 0.8 * level) * px)
        mask = _feather(frame.masks[params['region']], (0.8 + 1.2 * q) * px)
        return _composite(frame.image, smooth + texture, mask)

    def sample_cues(self, rng):
        return dict(cast=tuple(_unit(rng) * rng.uniform(25, 40)),
                    tone=rng.normal(0, 1, (3, 3)).astype(np.float32),
                    tone_amp=float(rng.uniform(15, 25)))

    def coarse(self, fake, frame, level, params):
        cues = params['cues']
        tone = _smooth_field(cues['tone'], frame.size) * cues['tone_amp']
        delta = np.asarray(cues['cast'], np.float32) + tone[..., None]
        mask = _feather(frame.masks[params['region']],
                        (0.8 + 1.2 * (1 - level)) * frame.size / 64.)
        return fake + self.strength(level) * delta, mask


def _families(coarse_cues: bool) -> Dict[str, CueFamily]:
    return {
        family.name: family
        for family in (BlendSwap(coarse_cues), WarpReenact(coarse_cues),
                       Upsample(coarse_cues), TextureNoise(coarse_cues))
    }


FORGERY_FAMILIES = _families(coarse_cues=False)
FORGERY_FAMILIES_V2 = _families(coarse_cues=True)
BENCHMARKS = {
    'v1': FORGERY_FAMILIES,
    'v2': FORGERY_FAMILIES_V2,
    'v3': FORGERY_FAMILIES_V3
}


def families_for(benchmark: str) -> Dict[str, ForgeryFamily]:
    """The forgery families of a benchmark: 'v1' and 'v2' (same names, same
    order), or 'v3' (its own six, see ``forgeries_v3``)."""
    if benchmark not in BENCHMARKS:
        raise KeyError(
            f'unknown benchmark {benchmark!r}; known: {sorted(BENCHMARKS)}')
    return BENCHMARKS[benchmark]


def make_fake(family: str,
              frame: Frame,
              q: float,
              seed: int = 0,
              params: Optional[Dict] = None,
              donors: Sequence[Identity] = (),
              benchmark: str = 'v1',
              without_shortcuts: bool = False) -> np.ndarray:
    """Fakes one frame with a named family; with the same ``seed`` only ``q``
    changes the result.

    v3 fakes come before the codec, and ``without_shortcuts`` gives v3's
    oracle fake (the same fake minus its low-frequency shortcut).
    """
    if without_shortcuts and benchmark != 'v3':
        raise ValueError('without_shortcuts needs benchmark v3, got '
                         f'{benchmark!r}')
    families = families_for(benchmark)
    if family not in families:
        raise KeyError(
            f'unknown forgery family {family!r}; known: {sorted(families)}')
    impl = families[family]
    if params is None:
        params = impl.sample_params(np.random.default_rng([seed, 0]),
                                    frame.identity, donors)
    extra = dict(shortcuts=False) if without_shortcuts else {}
    return impl.apply(frame, q, params, np.random.default_rng([seed, 1]),
                      **extra)
