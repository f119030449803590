"""Benchmark v3: family-specific low-frequency shortcuts over a weak, shared
high-frequency generator trace.

Why v3: every v2 fake ended in a blurred or resampled composite, so every
fake lost the reals' sensor noise inside the face. That cue is universal
(it transfers to any held-out family) and lies where FreDA does not reach, so
v2 could not test whether FreDA helps. A v3 fake is its real's noisy image
plus an additive ``delta`` inside the face (nothing is smoothed; the real's
sensor noise stays), and ``delta`` has named parts (:class:`Delta`):

* ``shortcut``: smooth (essentially below 4 cycles per face), with its own
  statistics per training family, of strength
  ``SHORTCUT_FLOOR + (1 - SHORTCUT_FLOOR) * (1 - q)``. FreDA removes it.
* ``trace``: a period-2 luminance pattern of about one grey level that does
  not depend on q. The training families write it with :func:`tile_trace`
  (a per-video 2×2 tile), the held-out families with :func:`deconv_trace`
  (a stride-2 transposed convolution), so the held-out trace is of the same
  kind but from another code path.
* ``decoy``: ``no_trace_control``'s sub-grey-level smooth change, which is
  neither a shortcut nor a trace.

``generate_demo_dataset(..., benchmark='v3', without_shortcuts=True)`` zeroes
every ``shortcut`` (shortcut_control's too) and keeps the rest bit for bit
(the oracle dataset). The
JPEG codec (:func:`jpeg_roundtrip`) belongs to the generator, which applies it
to reals and fakes alike; ``apply`` returns the fake before the codec.

The module constants below are the calibration knobs. They are read when a
video's parameters are drawn or a frame is faked; set them with
:func:`set_calibration` (or on this module). The generator hands the current
values to its worker processes and records them in the annotation metainfo.
"""
from typing import Dict, NamedTuple, Optional

import cv2
import numpy as np

from .faces import Frame
from .family_base import ForgeryFamily, _feather, _level, _smooth_field, _unit

# The calibration constants are left out of ``__all__`` on purpose: a copy in
# the package namespace would not change anything when set.
__all__ = [
    'V3_TRAIN_FAMILIES', 'V3_HELD_OUT', 'V3_CONTROLS', 'Delta',
    'AdditiveFamily', 'ColourSwap', 'Relight', 'ToneBlend', 'NeuralRender',
    'ShortcutControl', 'NoTraceControl', 'FORGERY_FAMILIES_V3',
    'shortcut_strength', 'add_delta', 'tile_trace', 'deconv_trace',
    'jpeg_roundtrip', 'sample_codec_quality', 'calibration',
    'set_calibration'
]

#: share of the shortcut left at q = 1 (it never vanishes, as in v1/v2)
SHORTCUT_FLOOR = 0.1
#: colour_swap: norm of the BGR offset of the inner face at q = 0, drawn
#: uniformly per video in this range (grey levels)
COLOUR_SWAP_AMPLITUDE = (45., 75.)
#: relight: light change at the face's edge along the ramp at q = 0
RELIGHT_AMPLITUDE = (40., 65.)
#: tone_blend: peak of the blotchy tone field at q = 0
TONE_BLEND_AMPLITUDE = (35., 55.)
#: RMS (grey levels) of the training families' tile trace inside the face
TRACE_AMPLITUDE = 1.0
#: RMS of the held-out families' transposed-convolution trace
HELD_OUT_TRACE_AMPLITUDE = 1.0
#: peak of no_trace_control's smooth brightness change (below a grey level)
DECOY_AMPLITUDE = 0.5
#: JPEG quality range, inclusive, drawn per real video and shared by its fakes
CODEC_QUALITY = (85, 95)
#: feathering (Gaussian sigma, px at 64 px) of the shortcut regions: it keeps
#: them smooth; the soft masks stay inside the region (see ``_inside``)
SHORTCUT_FEATHER = 3.0
#: feathering of the face mask that the traces are confined to
TRACE_FEATHER = 1.0

_CALIBRATION = ('SHORTCUT_FLOOR', 'COLOUR_SWAP_AMPLITUDE',
                'RELIGHT_AMPLITUDE', 'TONE_BLEND_AMPLITUDE', 'TRACE_AMPLITUDE',
                'HELD_OUT_TRACE_AMPLITUDE', 'DECOY_AMPLITUDE', 'CODEC_QUALITY',
                'SHORTCUT_FEATHER', 'TRACE_FEATHER')

V3_TRAIN_FAMILIES = ('colour_swap', 'relight', 'tone_blend')
V3_HELD_OUT = 'neural_render'
V3_CONTROLS = ('shortcut_control', 'no_trace_control')

_TONE_FEATHER = 4.5  # tone_blend's softer blend, px at 64 px
_DECONV_CHANNELS = 3  # input channels of the held-out transposed convolution


def calibration() -> Dict:
    """The current calibration constants (JSON-ready: ranges as lists)."""
    values = globals()
    return {
        name: list(values[name]) if isinstance(values[name], tuple) else
        values[name]
        for name in _CALIBRATION
    }


def set_calibration(values: Dict) -> None:
    """Sets calibration constants by name (e.g.
    ``{'TRACE_AMPLITUDE': 2.0}``); an unknown name is an error, not a silent
    no-op."""
    unknown = sorted(set(values) - set(_CALIBRATION))
    if unknown:
        raise KeyError(f'unknown v3 calibration constants {unknown}; '
                       f'known: {list(_CALIBRATION)}')
    for name, value in values.items():
        globals()[name] = tuple(value) if isinstance(value,
                                                     list) else value


class Delta(NamedTuple):
    """The parts of a v3 fake's difference from its real (H×W×3 float32)."""
    shortcut: np.ndarray
    trace: np.ndarray
    decoy: np.ndarray

    def total(self, shortcuts: bool = True) -> np.ndarray:
        """What is added to the real; without the shortcut for the
        oracle."""
        rest = self.trace + self.decoy
        return rest + self.shortcut if shortcuts else rest


def shortcut_strength(q: float) -> float:
    """Shortcut scale: 1 at q = 0, ``SHORTCUT_FLOOR`` at q = 1."""
    return SHORTCUT_FLOOR + (1 - SHORTCUT_FLOOR) * _level(q)


def _px(frame: Frame) -> float:
    return frame.size / 64.


def _zeros(frame: Frame) -> np.ndarray:
    return np.zeros(frame.image.shape, np.float32)


def _luminance(field: np.ndarray) -> np.ndarray:
    """The same values on B, G and R: the pattern lives in JPEG's Y channel,
    so chroma subsampling does not remove it."""
    return np.repeat(field[..., None].astype(np.float32), 3, axis=-1)


def _inside(mask: np.ndarray, sigma_px: float) -> np.ndarray:
    """A soft version of ``mask`` that stays inside it: 0 where the
    Gaussian-feathered mask is below one half (outside the region's edge),
    rising smoothly (smoothstep, no kink) to 1 about 2 sigma inside.

    A plain feathered mask would spill the delta out of the face, and
    cutting it at the edge would leave a sharp seam.
    """
    t = np.clip(2 * _feather(mask, sigma_px) - 1, 0, 1)
    return t * t * (3 - 2 * t)


def _trace_mask(frame: Frame) -> np.ndarray:
    return _inside(frame.masks['face'], TRACE_FEATHER * _px(frame))


def _shortcut_mask(frame: Frame,
                   region: str,
                   feather: Optional[float] = None) -> np.ndarray:
    feather = SHORTCUT_FEATHER if feather is None else feather
    return _inside(frame.masks[region], feather * _px(frame))


def _within_range(frame: Frame, shortcut: np.ndarray) -> np.ndarray:
    """The shortcut, compressed (``room * tanh(shortcut / room)``) where it
    would push the face out of 0..255.

    Clipping would flatten the sensor noise there, a high-frequency cue tied
    to the shortcut that FreDA could not remove. ``room`` is the distance
    from a smooth upper (lower) envelope of the clean face to 255 (0), less
    three noise sigmas, so the limited shortcut stays smooth and is 0
    wherever the shortcut is 0.
    """
    sigma = SHORTCUT_FEATHER * _px(frame)
    kernel = np.ones((2 * int(np.ceil(2 * sigma)) + 1, ) * 2, np.uint8)
    upper = cv2.GaussianBlur(cv2.dilate(frame.clean, kernel), (0, 0), sigma)
    lower = cv2.GaussianBlur(cv2.erode(frame.clean, kernel), (0, 0), sigma)
    margin = 3 * frame.noise_sigma
    room = np.where(shortcut > 0, 255 - margin - upper, lower - margin)
    room = np.maximum(room, 1e-3)
    return (room * np.tanh(shortcut / room)).astype(np.float32)


def add_delta(frame: Frame, delta: np.ndarray) -> np.ndarray:
    """The fake: ``delta`` added to the real before its rounding to uint8.

    Adding to the float noisy image (``frame.noisy``) instead of the uint8
    real keeps the fake's rounding error as random as the real's, so a
    smooth delta leaves no staircase; the real's sensor noise is untouched,
    and where ``delta`` is 0 the fake equals ``frame.image`` bit for bit.
    """
    base = frame.noisy
    if base is None:  # a Frame built by hand: fall back to the uint8 real
        base = frame.image.astype(np.float32)
    return np.clip(np.rint(base + delta), 0, 255).astype(np.uint8)


def sample_tile(rng: np.random.Generator) -> np.ndarray:
    """A random zero-mean 2×2 tile of RMS 1: one decoder's fingerprint."""
    tile = rng.normal(0, 1, (2, 2)).astype(np.float32)
    tile -= tile.mean()
    return tile / (np.sqrt((tile**2).mean()) + 1e-6)


def tile_trace(frame: Frame, tile: np.ndarray) -> np.ndarray:
    """The training families' trace: ``tile`` repeated over the image, at
    ``TRACE_AMPLITUDE`` RMS inside the face."""
    reps = frame.size // 2 + 1
    pattern = np.tile(tile, (reps, reps))[:frame.size, :frame.size]
    return _luminance(_trace_mask(frame) * TRACE_AMPLITUDE * pattern)


def sample_deconv_kernels(rng: np.random.Generator) -> np.ndarray:
    """Random 4×4 kernels of a stride-2 transposed convolution, one per input
    channel, each of zero sum (no DC gain keeps the trace high-frequency)."""
    kernels = rng.normal(0, 1, (_DECONV_CHANNELS, 4, 4)).astype(np.float32)
    return kernels - kernels.mean(axis=(1, 2), keepdims=True)


def deconv_trace(frame: Frame, kernels: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """The held-out families' trace: smooth random half-resolution fields
    (drawn per frame, like a decoder's features) through a stride-2
    transposed convolution with ``kernels``.

    The result is period-2 structured but its local 2×2 pattern changes
    across the face (several channels, each field varying), so it is not a
    tiled 2×2 pattern; it is normalised to ``HELD_OUT_TRACE_AMPLITUDE`` RMS
    inside the face.
    """
    size = frame.size
    low = size // 2 + 2
    out = np.zeros((2 * low, 2 * low), np.float32)
    for channel, kernel in enumerate(kernels):
        grid = rng.normal(0, 1, (3, 3)).astype(np.float32)
        field = 0.8 * _smooth_field(grid, low) + (1. if channel == 0 else 0.)
        stuffed = np.zeros_like(out)
        stuffed[::2, ::2] = field
        out += cv2.filter2D(stuffed, -1, kernel)
    pattern = out[2:2 + size, 2:2 + size]
    mask = _trace_mask(frame)
    rms = np.sqrt((mask * pattern**2).sum() / (mask.sum() + 1e-6))
    return _luminance(mask * pattern * (HELD_OUT_TRACE_AMPLITUDE /
                                        (rms + 1e-6)))


def _sample_colour_offset(rng: np.random.Generator) -> Dict:
    return dict(offset=tuple(
        float(c) for c in _unit(rng) * rng.uniform(*COLOUR_SWAP_AMPLITUDE)))


def _colour_offset_shortcut(frame: Frame, q: float, params: Dict):
    """colour_swap's cue (also shortcut_control's, through this code): a
    constant colour offset of the inner face."""
    offset = np.asarray(params['offset'], np.float32)
    return _within_range(
        frame,
        shortcut_strength(q) * _shortcut_mask(frame, 'inner')[..., None] *
        offset)


def _face_ramp(mask: np.ndarray, angle: float) -> np.ndarray:
    """-1 to 1 across the face along ``angle`` (radians), 0 at its centroid,
    clipped outside it."""
    size = mask.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    weight = mask.sum() + 1e-6
    cx, cy = (xx * mask).sum() / weight, (yy * mask).sum() / weight
    along = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    half = np.abs(along[mask > 0.5]).max() if (mask > 0.5).any() else 1.
    return np.clip(along / (half + 1e-6), -1, 1)


class AdditiveFamily(ForgeryFamily):
    """A v3 family: ``components`` says what is added, ``apply`` adds it.

    ``fixed_quality`` (None: drawn per video) is the q a family records when
    its pixels do not depend on q.
    """
    fixed_quality = None

    def components(self, frame: Frame, q: float, params: Dict,
                   rng: np.random.Generator) -> Delta:
        """The parts of the fake's delta; draws from ``rng`` the same way
        whether or not the shortcut will be used."""
        raise NotImplementedError

    def apply(self,
              frame: Frame,
              q: float,
              params: Dict,
              rng: np.random.Generator,
              shortcuts: bool = True) -> np.ndarray:
        """The fake before the codec; ``shortcuts=False`` is the oracle."""
        delta = self.components(frame, q, params, rng)
        return add_delta(frame, delta.total(shortcuts))


class ColourSwap(AdditiveFamily):
    """Training family: a face swap whose donor skin keeps its colour, i.e. a
    constant BGR offset (random direction, ``COLOUR_SWAP_AMPLITUDE``) of the
    inner face."""
    name = 'colour_swap'

    def sample_params(self, rng, target, donors=()):
        return dict(_sample_colour_offset(rng), tile=sample_tile(rng))

    def components(self, frame, q, params, rng):
        return Delta(_colour_offset_shortcut(frame, q, params),
                     tile_trace(frame, params['tile']), _zeros(frame))


class Relight(AdditiveFamily):
    """Training family: a driving face lit from elsewhere, i.e. a linear,
    near-white illumination ramp across the whole face."""
    name = 'relight'

    def sample_params(self, rng, target, donors=()):
        tint = 1. + 0.1 * rng.normal(0, 1, 3)
        return dict(angle=float(rng.uniform(0, 2 * np.pi)),
                    light=float(rng.uniform(*RELIGHT_AMPLITUDE)),
                    tint=tuple(float(c) for c in tint),
                    tile=sample_tile(rng))

    def components(self, frame, q, params, rng):
        ramp = _face_ramp(frame.masks['face'], params['angle'])
        light = (shortcut_strength(q) * params['light'] * ramp *
                 _shortcut_mask(frame, 'face'))
        shortcut = light[..., None] * np.asarray(params['tint'], np.float32)
        return Delta(_within_range(frame, shortcut),
                     tile_trace(frame, params['tile']), _zeros(frame))


class ToneBlend(AdditiveFamily):
    """Training family: a generated face blended in with a blotchy tone
    mismatch, i.e. a smooth 3×3-cell field (mostly shared by the channels)
    over the face, with a softer blend than the other families."""
    name = 'tone_blend'

    def sample_params(self, rng, target, donors=()):
        shared = rng.normal(0, 1, (3, 3, 1))
        grid = (shared + 0.35 * rng.normal(0, 1, (3, 3, 3))).astype(np.float32)
        grid /= np.abs(grid).max() + 1e-6
        return dict(grid=grid,
                    tone=float(rng.uniform(*TONE_BLEND_AMPLITUDE)),
                    tile=sample_tile(rng))

    def components(self, frame, q, params, rng):
        field = _smooth_field(params['grid'], frame.size)
        mask = _shortcut_mask(frame, 'face', _TONE_FEATHER)
        shortcut = (shortcut_strength(q) * params['tone'] * mask[..., None] *
                    field)
        return Delta(_within_range(frame, shortcut),
                     tile_trace(frame, params['tile']), _zeros(frame))


class NeuralRender(AdditiveFamily):
    """Held-out realistic family: no low-frequency mismatch, only a trace of
    the shared kind written by :func:`deconv_trace` (per-video kernels,
    per-frame fields). Its pixels do not depend on q; it records q = 1."""
    name = 'neural_render'
    fixed_quality = 1.0

    def sample_params(self, rng, target, donors=()):
        return dict(kernels=sample_deconv_kernels(rng))

    def components(self, frame, q, params, rng):
        return Delta(_zeros(frame), deconv_trace(frame, params['kernels'],
                                                 rng), _zeros(frame))


class ShortcutControl(AdditiveFamily):
    """Held-out control: colour_swap's shortcut (same code, same statistics)
    with neural_render's kind of trace. A detector that learnt the shortcut
    finds it here even if it misses neural_render."""
    name = 'shortcut_control'

    def sample_params(self, rng, target, donors=()):
        return dict(_sample_colour_offset(rng),
                    kernels=sample_deconv_kernels(rng))

    def components(self, frame, q, params, rng):
        return Delta(_colour_offset_shortcut(frame, q, params),
                     deconv_trace(frame, params['kernels'], rng),
                     _zeros(frame))


class NoTraceControl(AdditiveFamily):
    """Held-out control: like neural_render but without any trace, only a
    smooth brightness change below ``DECOY_AMPLITUDE`` through the same
    composite. A detector should be at chance here; above chance means a cue
    other than the trace. Its pixels do not depend on q; it records q = 1."""
    name = 'no_trace_control'
    fixed_quality = 1.0

    def sample_params(self, rng, target, donors=()):
        grid = rng.normal(0, 1, (3, 3)).astype(np.float32)
        return dict(grid=grid / (np.abs(grid).max() + 1e-6))

    def components(self, frame, q, params, rng):
        field = _smooth_field(params['grid'], frame.size)
        decoy = DECOY_AMPLITUDE * _shortcut_mask(frame, 'face') * field
        return Delta(_zeros(frame), _zeros(frame), _luminance(decoy))


FORGERY_FAMILIES_V3 = {
    family.name: family
    for family in (ColourSwap(), Relight(), ToneBlend(), NeuralRender(),
                   ShortcutControl(), NoTraceControl())
}


def sample_codec_quality(rng: np.random.Generator) -> int:
    """A video's JPEG quality, uniform over ``CODEC_QUALITY`` (inclusive)."""
    low, high = CODEC_QUALITY
    return int(rng.integers(low, high + 1))


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` (uint8 BGR) encoded as JPEG at ``quality`` and decoded
    (OpenCV's defaults otherwise, i.e. 4:2:0 chroma subsampling)."""
    ok, buffer = cv2.imencode('.jpg', image,
                              [cv2.IMWRITE_JPEG_QUALITY,
                               int(quality)])
    if not ok:
        raise RuntimeError('cv2.imencode could not encode a JPEG')
    return cv2.imdecode(buffer, cv2.IMREAD_COLOR)
