"""Procedural face renderer for the synthetic demo dataset.

An identity is a frozen bag of drawing parameters. A frame is drawn on a
supersampled canonical canvas (cv2 primitives + numpy shading), moved by the
frame's pose with one affine warp, area-downsampled to the output size and
composited over the identity's textured background. The renderer also
returns soft region masks (face, inner face, eyes, mouth) in output pixels;
the forgery families confine their manipulations to them, which is what
keeps every fake pixel-aligned with its real frame outside the manipulated
region.

Units: positions/sizes of the head are fractions of the canvas; feature
positions are fractions of the face half-axes (``face_a`` horizontally,
``face_b`` vertically), measured from the face centre.
"""
import dataclasses
import functools
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from qcdet.utils.geometry import transform_points

__all__ = [
    'Identity', 'Pose', 'Frame', 'INNER_FACE_FIELDS', 'sample_identity',
    'sample_poses', 'render_background', 'render_frame', 'add_sensor_noise',
    'face_landmarks'
]

Color = Tuple[float, float, float]  # BGR, 0..255

# Parameters that belong to the inner face (what a face swap replaces).
INNER_FACE_FIELDS = (
    'eye_y',
    'eye_dx',
    'eye_w',
    'eye_h',
    'iris_scale',
    'iris_color',
    'sclera_color',
    'gaze',
    'brow_y',
    'brow_len',
    'brow_thick',
    'brow_arch',
    'brow_tilt',
    'brow_color',
    'nose_y',
    'nose_w',
    'nose_len',
    'nose_side',
    'mouth_y',
    'mouth_w',
    'lip_h',
    'lip_color',
)

_SKIN_LIGHT = np.array([185., 205., 240.])
_SKIN_DARK = np.array([55., 85., 135.])
_HAIR_COLORS = np.array([[20., 20., 25.], [30., 50., 90.], [90., 165., 205.],
                         [40., 70., 150.], [155., 155., 160.], [25., 35.,
                                                                60.]])
_IRIS_COLORS = np.array([[30., 60., 100.], [150., 110., 60.], [80., 120., 70.],
                         [120., 120., 115.], [20., 30., 45.]])
_LIP_RED = np.array([80., 75., 185.])
_DARK_MOUTH = np.array([35., 30., 70.])
_TEETH = np.array([215., 225., 232.])
_MAX_CANVAS = 512  # supersampled drawing canvas, pixels per side
_MAX_SUPERSAMPLING = 2
_SHIFT = 4  # fractional bits of cv2 drawing coordinates


@dataclasses.dataclass(frozen=True)
class Identity:
    """Everything that makes one synthetic person (and their backdrop) look
    like themselves."""
    # head
    face_cy: float
    face_a: float
    face_b: float
    jaw_power: float
    chin_taper: float
    skin: Color
    texture_seed: int
    texture_amp: float
    light_x: float
    light_y: float
    ambient: float
    # eyes
    eye_y: float
    eye_dx: float
    eye_w: float
    eye_h: float
    iris_scale: float
    iris_color: Color
    sclera_color: Color
    gaze: float
    # brows
    brow_y: float
    brow_len: float
    brow_thick: float
    brow_arch: float
    brow_tilt: float
    brow_color: Color
    # nose
    nose_y: float
    nose_w: float
    nose_len: float
    nose_side: int
    # mouth
    mouth_y: float
    mouth_w: float
    lip_h: float
    lip_color: Color
    # hair and clothes
    hair_style: int  # 0 short, 1 long, 2 bald
    hair_color: Color
    hairline: float
    hair_volume: float
    hair_seed: int
    clothes_color: Color
    # background
    bg_color1: Color
    bg_color2: Color
    bg_angle: float
    bg_style: int  # 0 gradient, 1 blobs, 2 stripes, 3 blurred shapes
    bg_seed: int


@dataclasses.dataclass(frozen=True)
class Pose:
    """Per-frame state: rigid motion in output pixels/degrees plus blink and
    mouth opening in [0, 1]."""
    dx: float = 0.
    dy: float = 0.
    scale: float = 1.
    angle: float = 0.
    blink: float = 0.
    mouth_open: float = 0.


@dataclasses.dataclass
class Frame:
    """One rendered frame and what the forgery families need to manipulate it
    consistently."""
    image: np.ndarray  # H×W×3 uint8 BGR, with sensor noise
    clean: np.ndarray  # H×W×3 float32 BGR in 0..255, before noise
    # 'head', 'face', 'inner', 'eyes', 'mouth': H×W float32 in [0, 1]
    masks: Dict[str, np.ndarray]
    background: np.ndarray  # H×W×3 float32
    identity: Identity
    pose: Pose
    noise_sigma: float
    # H×W×3 float32: ``clean`` plus the sensor noise, before ``image`` rounds
    # it; benchmark v3 adds its fakes' deltas here so that a fake's rounding
    # error is as random as its real's (no staircase from a smooth delta)
    noisy: Optional[np.ndarray] = None
    # 68 x 2 float32 (x, y) in output pixels: iBUG-style points of the drawn
    # face (``face_landmarks``)
    landmarks: Optional[np.ndarray] = None

    @property
    def size(self) -> int:
        return self.image.shape[0]


def _color(rng: np.random.Generator, base: np.ndarray, jitter: float) -> Color:
    return tuple(
        float(c)
        for c in np.clip(base + rng.uniform(-jitter, jitter, 3), 0, 255))


def sample_identity(rng: np.random.Generator) -> Identity:
    """Draws a random identity; the same generator state always gives the same
    identity."""
    u = rng.uniform
    skin_t = u(0, 1)
    skin = _SKIN_LIGHT * (1 - skin_t) + _SKIN_DARK * skin_t
    skin_color = _color(rng, skin, 12)
    hair = _HAIR_COLORS[rng.integers(len(_HAIR_COLORS))]
    hair_color = _color(rng, hair, 15)
    lip_mix = u(0.3, 0.7)
    bg1 = rng.uniform(25, 230, 3)
    bg2 = np.clip(bg1 + rng.uniform(-70, 70, 3), 0, 255)
    return Identity(
        face_cy=u(0.50, 0.55),
        face_a=u(0.27, 0.33),
        face_b=u(0.36, 0.43),
        jaw_power=u(2.0, 2.8),
        chin_taper=u(0.0, 0.35),
        skin=skin_color,
        texture_seed=int(rng.integers(2**31)),
        texture_amp=u(0.015, 0.04),
        light_x=u(-0.6, 0.6),
        light_y=u(-0.6, 0.2),
        ambient=u(0.45, 0.65),
        eye_y=u(-0.18, -0.06),
        eye_dx=u(0.34, 0.44),
        eye_w=u(0.17, 0.24),
        eye_h=u(0.38, 0.55),
        iris_scale=u(0.75, 0.95),
        iris_color=_color(rng, _IRIS_COLORS[rng.integers(len(_IRIS_COLORS))],
                          20),
        sclera_color=_color(rng,
                            np.array([228., 234., 240.]) * u(0.85, 1.0), 6),
        gaze=u(-0.2, 0.2),
        brow_y=u(-0.40, -0.30),
        brow_len=u(0.34, 0.48),
        brow_thick=u(0.025, 0.05),
        brow_arch=u(0.0, 0.07),
        brow_tilt=u(-0.15, 0.15),
        brow_color=tuple(
            float(c) for c in np.array(hair_color) * u(0.5, 0.95)),
        nose_y=u(0.14, 0.24),
        nose_w=u(0.13, 0.2),
        nose_len=u(0.25, 0.4),
        nose_side=int(rng.choice([-1, 1])),
        mouth_y=u(0.46, 0.58),
        mouth_w=u(0.3, 0.44),
        lip_h=u(0.045, 0.075),
        lip_color=_color(
            rng,
            np.array(skin_color) * (1 - lip_mix) + _LIP_RED * lip_mix, 10),
        hair_style=int(rng.choice([0, 0, 1, 1, 2])),
        hair_color=hair_color,
        hairline=u(-0.78, -0.5),
        hair_volume=u(1.05, 1.18),
        hair_seed=int(rng.integers(2**31)),
        clothes_color=_color(rng, rng.uniform(30, 220, 3), 0),
        bg_color1=tuple(float(c) for c in bg1),
        bg_color2=tuple(float(c) for c in bg2),
        bg_angle=u(0, np.pi),
        bg_style=int(rng.integers(4)),
        bg_seed=int(rng.integers(2**31)),
    )


def sample_poses(rng: np.random.Generator,
                 num_frames: int,
                 size: int = 64) -> List[Pose]:
    """A short smooth head trajectory: slow sinusoidal drift, at most one
    blink, talking mouth."""
    px = size / 64.
    t = np.arange(num_frames, dtype=np.float64)
    period = rng.uniform(1.5, 3.0) * max(num_frames, 2)

    def wave(base, amp):
        phase = rng.uniform(0, 2 * np.pi)
        return base + amp * np.sin(2 * np.pi * t / period + phase)

    dx = wave(rng.uniform(-2, 2) * px, rng.uniform(0.3, 1.5) * px)
    dy = wave(rng.uniform(-2, 2) * px, rng.uniform(0.3, 1.5) * px)
    scale = wave(rng.uniform(0.95, 1.05), rng.uniform(0.0, 0.025))
    angle = wave(rng.uniform(-6, 6), rng.uniform(0.0, 2.5))
    mouth = np.clip(wave(rng.uniform(-0.3, 0.3), rng.uniform(0.0, 0.7)), 0, 1)
    blink = np.zeros(num_frames)
    if rng.uniform() < 0.4:
        blink = np.exp(-(
            (t - rng.uniform(0, num_frames)) / rng.uniform(0.6, 1.2))**2)
    return [
        Pose(dx=float(dx[i]),
             dy=float(dy[i]),
             scale=float(scale[i]),
             angle=float(angle[i]),
             blink=float(blink[i]),
             mouth_open=float(mouth[i])) for i in range(num_frames)
    ]


@functools.lru_cache(maxsize=64)
def render_background(identity: Identity, size: int) -> np.ndarray:
    """The identity's static backdrop (size×size×3 float32); cached, do not
    modify it in place."""
    rng = np.random.default_rng(identity.bg_seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    ramp = np.cos(identity.bg_angle) * (xx - 0.5) + np.sin(
        identity.bg_angle) * (yy - 0.5) + 0.5
    ramp = np.clip(ramp, 0, 1)[..., None]
    bg = np.array(identity.bg_color1, np.float32) * (1 - ramp) + np.array(
        identity.bg_color2, np.float32) * ramp
    if identity.bg_style == 1:  # soft blobs
        blobs = cv2.resize(rng.normal(0, 1, (5, 5, 3)).astype(np.float32),
                           (size, size),
                           interpolation=cv2.INTER_CUBIC)
        bg = bg + 18 * blobs
    elif identity.bg_style == 2:  # wallpaper stripes
        freq = rng.uniform(3, 9)
        theta = rng.uniform(0, np.pi)
        stripes = np.sin(2 * np.pi * freq *
                         (np.cos(theta) * xx + np.sin(theta) * yy))
        bg = bg * (1 + 0.08 * stripes[..., None])
    elif identity.bg_style == 3:  # out-of-focus objects
        shapes = np.zeros((size, size, 3), np.float32)
        for _ in range(4):
            x0, y0 = rng.integers(0, size, 2)
            w, h = rng.integers(size // 8, size // 2, 2)
            cv2.rectangle(shapes, (int(x0), int(y0)),
                          (int(x0 + w), int(y0 + h)),
                          tuple(float(c) for c in rng.uniform(-40, 40, 3)), -1)
        bg = bg + cv2.GaussianBlur(shapes, (0, 0), size / 20.)
    grain = cv2.GaussianBlur(
        rng.normal(0, 3, (size, size, 3)).astype(np.float32), (0, 0), 0.8)
    bg = np.clip(bg + grain, 0, 255).astype(np.float32)
    bg.setflags(write=False)
    return bg


@functools.lru_cache(maxsize=8)
def _grid(canvas: int) -> Tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:canvas, 0:canvas].astype(np.float32)
    return yy, xx


@functools.lru_cache(maxsize=32)
def _skin_texture(seed: int, canvas: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 1,
                                               (96, 96)).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 1.1)
    noise /= noise.std() + 1e-6
    return cv2.resize(noise, (canvas, canvas), interpolation=cv2.INTER_CUBIC)


def _paint(rgb: np.ndarray, mask: np.ndarray, color) -> None:
    m = mask[..., None]
    rgb *= 1 - m
    rgb += m * np.asarray(color, np.float32)


def _fixed(*values: float) -> Tuple[int, ...]:
    """Sub-pixel coordinates for cv2 drawing with ``shift=_SHIFT``."""
    return tuple(int(round(v * (1 << _SHIFT))) for v in values)


def _blank(shape) -> np.ndarray:
    return np.zeros((shape, shape) if isinstance(shape, int) else shape,
                    np.uint8)


def _as_mask(drawn: np.ndarray) -> np.ndarray:
    return drawn.astype(np.float32) * (1 / 255.)


def _ellipse_mask(shape,
                  center,
                  axes,
                  start: float = 0,
                  end: float = 360,
                  thickness: int = -1) -> np.ndarray:
    """Anti-aliased ellipse (filled, or an arc of ``thickness``) as a float
    mask; int shape = square."""
    m = _blank(shape)
    cv2.ellipse(m, _fixed(*center), _fixed(max(axes[0], 0.5),
                                           max(axes[1], 0.5)), 0, start, end,
                255, thickness, cv2.LINE_AA, _SHIFT)
    return _as_mask(m)


def _line_mask(shape, points, thickness: int) -> np.ndarray:
    """Anti-aliased open polyline through ``points`` as a float mask."""
    m = _blank(shape)
    pts = (np.asarray(points, np.float64) * (1 << _SHIFT)).round().astype(
        np.int32)
    cv2.polylines(m, [pts], False, 255, max(1, int(round(thickness))),
                  cv2.LINE_AA, _SHIFT)
    return _as_mask(m)


@functools.lru_cache(maxsize=16)
def _static_layer(identity: Identity, canvas: int):
    """Parts of the head that do not move with blinks or speech, in canonical
    canvas coordinates."""
    c = canvas
    yy, xx = _grid(c)
    cx, cy = 0.5 * c, identity.face_cy * c
    a, b = identity.face_a * c, identity.face_b * c
    u, v = (xx - cx) / a, (yy - cy) / b
    skin = np.array(identity.skin, np.float32)

    rgb = np.zeros((c, c, 3), np.float32)
    alpha = np.zeros((c, c), np.float32)

    def paint(mask, color):
        _paint(rgb, mask, color)
        np.maximum(alpha, mask, out=alpha)

    # clothes, neck, back hair, ears
    paint(_ellipse_mask(c, (cx, cy + 1.75 * b), (2.2 * a, 0.75 * b)),
          identity.clothes_color)
    neck = ((np.abs(u) < 0.55) & (v > 0.3)).astype(np.float32)
    paint(neck, skin * 0.8)
    hair_rng = np.random.default_rng(identity.hair_seed)
    strands = 1 + 0.12 * np.sin(
        hair_rng.uniform(25, 45) * u + 3 * v + hair_rng.uniform(0, 6.3))
    hair_rgb = np.array(identity.hair_color, np.float32) * strands[..., None]
    vol = identity.hair_volume
    if identity.hair_style != 2:
        bottom = -0.1 if identity.hair_style == 0 else 0.95
        back = ((u / vol)**2 + ((v + 0.08) / vol)**2 <= 1) & (v < bottom)
        back = back.astype(np.float32)
        rgb[:] = rgb * (1 - back[..., None]) + hair_rgb * back[..., None]
        np.maximum(alpha, back, out=alpha)
    ear_y = cy + 0.5 * (identity.eye_y + identity.nose_y) * b
    for side in (-1, 1):
        paint(
            _ellipse_mask(c, (cx + side * 0.97 * a, ear_y),
                          (0.13 * a, 0.2 * b)), skin * 0.88)

    # face: superellipse narrowing towards the chin
    u_jaw = u / (1 - identity.chin_taper * np.clip(v, 0, 1)**2)
    face = ((np.abs(u_jaw)**identity.jaw_power + np.abs(v)**2)
            <= 1).astype(np.float32)
    texture = 1 + identity.texture_amp * _skin_texture(identity.texture_seed,
                                                       c)
    face_rgb = skin * texture[..., None]
    rgb[:] = rgb * (1 - face[..., None]) + face_rgb * face[..., None]
    np.maximum(alpha, face, out=alpha)

    # fringe over the forehead
    if identity.hair_style != 2:
        fringe = face * (v < identity.hairline + 0.35 * u**2)
        rgb[:] = rgb * (1 - fringe[..., None]) + hair_rgb * fringe[..., None]

    # brows
    brows = np.zeros((c, c), np.float32)
    for side in (-1, 1):
        ex = cx + side * identity.eye_dx * a
        t = np.linspace(-1, 1, 9)
        half = 0.5 * identity.brow_len * a
        px = ex + side * t * half
        py = cy + identity.brow_y * b - identity.brow_arch * b * (
            1 - t**2) - identity.brow_tilt * t * half
        brows = np.maximum(
            brows,
            _line_mask(c, np.stack([px, py], 1), identity.brow_thick * b * 2))
    _paint(rgb, brows, identity.brow_color)

    # nose: soft side shadow, tip and nostrils
    ny = cy + identity.nose_y * b
    nw = identity.nose_w * a
    top = ny - identity.nose_len * b
    side_x = cx + identity.nose_side * 0.45 * nw
    nose = np.maximum(
        _line_mask(c, [(side_x, top), (side_x, ny)], 0.025 * c),
        _ellipse_mask(c, (cx, ny), (0.6 * nw, 0.3 * nw), 20, 160,
                      max(1, int(0.015 * c))))
    shadow = cv2.GaussianBlur(nose, (0, 0), 0.01 * c + 0.5) * 0.8
    _paint(rgb, shadow, skin * 0.7)
    for side in (-1, 1):
        _paint(
            rgb,
            _ellipse_mask(c, (cx + side * 0.45 * nw, ny),
                          (0.22 * nw, 0.12 * nw)), skin * 0.45)

    # shading: Lambert on an ellipsoid around the head
    nx = np.clip(u * 0.9, -1, 1)
    ny_ = np.clip(v * 0.9, -1, 1)
    nz = np.sqrt(np.clip(1 - nx**2 - ny_**2, 0.05, 1))
    light = np.array([identity.light_x, identity.light_y, 1.0])
    light /= np.linalg.norm(light)
    diffuse = np.clip(nx * light[0] + ny_ * light[1] + nz * light[2], 0, 1)
    shade = (identity.ambient +
             (1 - identity.ambient) * diffuse) / (identity.ambient +
                                                  (1 - identity.ambient) * 0.8)

    # region masks (before motion)
    inner_top = identity.brow_y - identity.brow_thick - 0.06
    inner_bottom = identity.mouth_y + 2.5 * identity.lip_h + 0.06
    inner_half_w = max(identity.eye_dx + identity.eye_w + 0.08,
                       identity.mouth_w + 0.1)
    inner = _ellipse_mask(c, (cx, cy + 0.5 * (inner_top + inner_bottom) * b),
                          (inner_half_w * a, 0.5 *
                           (inner_bottom - inner_top) * b)) * face
    eyes = np.zeros((c, c), np.float32)
    for side in (-1, 1):
        ex = cx + side * identity.eye_dx * a
        eyes = np.maximum(
            eyes,
            _ellipse_mask(c, (ex, cy + 0.5 *
                              (identity.eye_y + identity.brow_y) * b),
                          (1.5 * identity.eye_w * a,
                           (identity.eye_y - identity.brow_y + 0.1) * b)))
    # Premultiplied shaded colour, alpha, region masks and an empty mouth
    # channel: the per-frame start.
    weight = (shade * alpha).astype(np.float32)
    stack = np.concatenate([
        rgb * weight[..., None], alpha[..., None], face[..., None],
        inner[..., None], (eyes * face)[..., None],
        np.zeros_like(alpha)[..., None]
    ], -1)
    for arr in (rgb, weight, stack):
        arr.setflags(write=False)
    return rgb, weight, stack


def _roi(canvas: int, cx: float, cy: float, half_w: float, half_h: float):
    """Slices of a box around a feature (drawing only there keeps per-frame
    work small)."""
    x0, x1 = max(0, int(cx - half_w) - 2), min(canvas, int(cx + half_w) + 3)
    y0, y1 = max(0, int(cy - half_h) - 2), min(canvas, int(cy + half_h) + 3)
    return (slice(y0, y1), slice(x0, x1)), (x0, y0)


def _draw_eyes_and_mouth(identity: Identity, pose: Pose, canvas: int,
                         static_rgb: np.ndarray):
    """Paints the moving features on copies of their boxes of ``static_rgb``
    (unshaded).

    Returns ``[(box, painted_rgb), ...]`` and ``(box, mouth_region_mask)``.
    """
    painted = []
    c = canvas
    cx, cy = 0.5 * c, identity.face_cy * c
    a, b = identity.face_a * c, identity.face_b * c
    half_w = identity.eye_w * a
    full_h = identity.eye_h * half_w
    open_h = max(0.6, full_h * (1 - 0.92 * np.clip(pose.blink, 0, 1)))
    lash = max(1, int(round(0.012 * c)))
    for side in (-1, 1):
        ex, ey = cx + side * identity.eye_dx * a, cy + identity.eye_y * b
        box, (ox, oy) = _roi(c, ex, ey, half_w + lash, full_h + lash)
        view = static_rgb[box].copy()
        painted.append((box, view))
        shape = view.shape[:2]
        lx, ly = ex - ox, ey - oy
        sclera = _ellipse_mask(shape, (lx, ly), (half_w, open_h))
        _paint(view, sclera, identity.sclera_color)
        iris_c = (lx + identity.gaze * half_w, ly)
        iris = _ellipse_mask(shape, iris_c,
                             (identity.iris_scale * full_h, ) * 2) * sclera
        _paint(view, iris, identity.iris_color)
        pupil = _ellipse_mask(
            shape, iris_c,
            (0.45 * identity.iris_scale * full_h, ) * 2) * sclera
        _paint(view, pupil, (15., 15., 18.))
        glint = _ellipse_mask(shape,
                              (iris_c[0] - 0.3 * full_h, ly - 0.3 * open_h),
                              (0.15 * full_h, ) * 2)
        _paint(view, glint * sclera, (245., 245., 245.))
        lid = _ellipse_mask(shape, (lx, ly), (half_w, open_h), 180, 360, lash)
        _paint(view, lid, np.array(identity.brow_color) * 0.6)

    mx, my = cx, cy + identity.mouth_y * b
    mw, lh = identity.mouth_w * a, identity.lip_h * b
    gap = np.clip(pose.mouth_open, 0, 1) * 1.8 * lh
    box, (ox, oy) = _roi(c, mx, my, 1.35 * mw, 2.2 * lh + gap)
    view = static_rgb[box].copy()
    painted.append((box, view))
    shape = view.shape[:2]
    lx, ly = mx - ox, my - oy
    _paint(view, _ellipse_mask(shape, (lx, ly), (mw, lh + 0.5 * gap)),
           identity.lip_color)
    if gap >= 1:
        inside = _ellipse_mask(shape, (lx, ly), (0.8 * mw, 0.5 * gap))
        _paint(view, inside, _DARK_MOUTH)
        rows = np.arange(shape[0], dtype=np.float32)[:, None]
        teeth = inside * (rows < ly - 0.5 * gap + 0.35 * gap)
        _paint(view, teeth, _TEETH)
    else:
        line = _line_mask(shape, [(lx - 0.85 * mw, ly), (lx + 0.85 * mw, ly)],
                          max(1, 0.01 * c))
        _paint(view, line, np.array(identity.lip_color) * 0.6)
    return painted, (box,
                     _ellipse_mask(shape, (lx, ly),
                                   (1.35 * mw, 2.2 * lh + gap)))


def _supersampling(size: int) -> int:
    return int(max(1, min(_MAX_SUPERSAMPLING, _MAX_CANVAS // size)))


def render_frame(identity: Identity,
                 pose: Pose,
                 size: int = 64,
                 background: Optional[np.ndarray] = None,
                 noise_sigma: float = 0.,
                 rng: Optional[np.random.Generator] = None) -> Frame:
    """Renders one frame; with ``noise_sigma > 0`` draws sensor noise from
    ``rng`` into ``image``."""
    ss = _supersampling(size)
    c = size * ss
    static_rgb, weight, static_stack = _static_layer(identity, c)
    layers = static_stack.copy()
    painted, (mouth_box, mouth) = _draw_eyes_and_mouth(identity, pose, c,
                                                       static_rgb)
    for box, rgb in painted:
        layers[box + (slice(0, 3), )] = rgb * weight[box][..., None]
    layers[mouth_box + (7, )] = mouth * layers[mouth_box + (4, )]
    m = cv2.getRotationMatrix2D((0.5 * c, 0.5 * c), pose.angle, pose.scale)
    m[:, 2] += (pose.dx * ss, pose.dy * ss)
    layers = cv2.warpAffine(layers,
                            m, (c, c),
                            flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT,
                            borderValue=0)
    if ss > 1:
        layers = cv2.resize(layers, (size, size), interpolation=cv2.INTER_AREA)
    alpha = layers[..., 3:4]
    if background is None:
        background = render_background(identity, size)
    clean = np.clip(background * (1 - alpha) + layers[..., :3], 0,
                    255).astype(np.float32)
    masks = {
        name: np.ascontiguousarray(np.clip(layers[..., 4 + i], 0, 1))
        for i, name in enumerate(('face', 'inner', 'eyes', 'mouth'))
    }
    masks['head'] = np.ascontiguousarray(alpha[..., 0])
    noisy = _with_sensor_noise(clean, noise_sigma, rng)
    return Frame(image=_quantise(noisy),
                 clean=clean,
                 masks=masks,
                 background=background,
                 identity=identity,
                 pose=pose,
                 noise_sigma=float(noise_sigma),
                 noisy=noisy,
                 landmarks=face_landmarks(identity, pose, size))


def _canonical_landmarks(identity: Identity, pose: Pose,
                         canvas: int) -> np.ndarray:
    """The 68 points in canonical canvas pixels, before the pose's warp.

    Read off the drawing's own geometry, in iBUG order (image-left first):
    jaw 0-16 along the face outline from eye level round the chin, brows
    17-26 along the drawn brow curves, nose bridge 27-30 from eye level to
    the tip, nose base 31-35, eyes 36-47 on the drawn eye ellipses (lids
    follow the blink), outer lips 48-59 and inner lips 60-67 on the mouth
    ellipses (they open with the mouth).
    """
    c = canvas
    cx, cy = 0.5 * c, identity.face_cy * c
    a, b = identity.face_a * c, identity.face_b * c
    points = []

    # jaw: the superellipse outline |u_jaw|^p + v^2 = 1 narrowed to the chin
    v_top = float(np.clip(identity.eye_y, -0.9, 0.9))
    v = np.sin(np.linspace(np.arcsin(v_top), 0.5 * np.pi, 9))
    u = (np.clip(1 - v**2, 0, 1)**(1 / identity.jaw_power) *
         (1 - identity.chin_taper * np.clip(v, 0, 1)**2))
    left = np.stack([cx - u * a, cy + v * b], 1)
    right = np.stack([cx + u[:-1] * a, cy + v[:-1] * b], 1)[::-1]
    points += [left, right]

    # brows: the drawn curves, outer end to inner end on the image left
    half = 0.5 * identity.brow_len * a
    for side, t in ((-1, np.linspace(1, -1, 5)), (1, np.linspace(-1, 1, 5))):
        ex = cx + side * identity.eye_dx * a
        points.append(
            np.stack([
                ex + side * t * half, cy + identity.brow_y * b -
                identity.brow_arch * b * (1 - t**2) -
                identity.brow_tilt * t * half
            ], 1))

    # nose: bridge from eye level to the tip, then the base
    ny = cy + identity.nose_y * b
    nw = identity.nose_w * a
    bridge_y = np.linspace(min(cy + identity.eye_y * b, ny), ny, 4)
    points.append(np.stack([np.full(4, cx), bridge_y], 1))
    base = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    points.append(
        np.stack([cx + 0.6 * nw * base,
                  ny + 0.3 * nw * (1 - 0.6 * np.abs(base))], 1))

    # eyes: corners and lids on the drawn ellipse (as open as the blink)
    half_w = identity.eye_w * a
    full_h = identity.eye_h * half_w
    open_h = max(0.6, full_h * (1 - 0.92 * np.clip(pose.blink, 0, 1)))
    theta = np.array([3, 4, 5, 0, 1, 2]) * np.pi / 3
    for side in (-1, 1):
        ex, ey = cx + side * identity.eye_dx * a, cy + identity.eye_y * b
        points.append(
            np.stack([ex + half_w * np.cos(theta),
                      ey + open_h * np.sin(theta)], 1))

    # mouth: outer lip ellipse (corner, upper lip, corner, lower lip), then
    # the inner one, which closes to the lip line with the mouth
    mx, my = cx, cy + identity.mouth_y * b
    mw, lh = identity.mouth_w * a, identity.lip_h * b
    gap = np.clip(pose.mouth_open, 0, 1) * 1.8 * lh
    outer = np.pi + np.arange(12) * np.pi / 6
    points.append(
        np.stack([mx + mw * np.cos(outer),
                  my + (lh + 0.5 * gap) * np.sin(outer)], 1))
    inner = np.pi + np.arange(8) * np.pi / 4
    points.append(
        np.stack([mx + 0.8 * mw * np.cos(inner),
                  my + 0.5 * gap * np.sin(inner)], 1))
    return np.concatenate(points).astype(np.float64)


def face_landmarks(identity: Identity, pose: Pose,
                   size: int = 64) -> np.ndarray:
    """68 iBUG-style landmarks of the face ``render_frame`` draws, as a
    ``(68, 2)`` float32 array of (x, y) in output pixels (pixel centres at
    integer coordinates, as OpenCV's).

    The points follow dlib's 68-point layout and order, measured on the
    drawing rather than fitted: the jaw runs along the face outline from eye
    level round the chin, the brows, eyes, nose and mouth along the shapes
    drawn (lids follow a blink, lips the mouth opening). So their convex
    hull covers the face from the brows to the chin, the region dlib's
    points span (not the forehead above the brows). Computed in the
    canonical canvas and sent through the frame's own pose warp and
    downsampling, so they move with the face.
    """
    ss = _supersampling(size)
    c = size * ss
    points = _canonical_landmarks(identity, pose, c)
    m = cv2.getRotationMatrix2D((0.5 * c, 0.5 * c), pose.angle, pose.scale)
    m[:, 2] += (pose.dx * ss, pose.dy * ss)
    warped = transform_points(points, m)
    # area downsampling by ss: output pixel j covers canvas [j*ss, (j+1)*ss)
    return ((warped + 0.5) / ss - 0.5).astype(np.float32)


def _with_sensor_noise(clean: np.ndarray, sigma: float,
                       rng: Optional[np.random.Generator]) -> np.ndarray:
    """``clean`` plus white Gaussian noise, still float32."""
    if sigma > 0:
        if rng is None:
            raise ValueError('add_sensor_noise: noise_sigma > 0 needs an rng')
        clean = clean + rng.normal(0, sigma, clean.shape).astype(np.float32)
    return clean


def _quantise(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def add_sensor_noise(clean: np.ndarray, sigma: float,
                     rng: Optional[np.random.Generator]) -> np.ndarray:
    """Adds white Gaussian noise (in 0..255 units) and quantises to uint8."""
    return _quantise(_with_sensor_noise(clean, sigma, rng))
