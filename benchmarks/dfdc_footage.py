"""DFDC-style footage built at run time from ../shared/data, for the face
detection tests and benchmarks/preprocess_speed.py.

DFDC clips are portrait 1080x1920 phone videos of whole people in dim rooms:
faces are 110-220 px high, ~30-60 px once the frame is shrunk to 512 px for
detection, where dlib's HOG detector starts to miss them. Two kinds:

* :func:`pasted_face_frames`: DFDC face crops (``cvit-dfdc-faces/test``)
  scaled to such sizes, feathered into a dark, noisy portrait room above a
  dark torso; the face box is known.
* :func:`portrait_dim_frames`: the real DFDC clip turned to portrait,
  darkened and noised.

Frames are written with :func:`write_h264` (H.264 with B-frames, like the
DFDC files) into a caller's temporary folder: the media are for research
only and are never copied into the repository.
"""
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

import cv2
import numpy as np

FRAME_WIDTH, FRAME_HEIGHT = 1080, 1920
FACE_HEIGHTS = (110, 220)  # face box height range in the full frame, px
DFDC_CLIP = Path('cvit-dfdc-faces') / 'videos' / 'knqhpwoigk.mp4'


def face_crop_paths(data_root) -> List[Path]:
    """The DFDC test face crops (224x224, face filling the crop)."""
    root = Path(data_root) / 'cvit-dfdc-faces' / 'test'
    return sorted(root.glob('real/*.jpg')) + sorted(root.glob('fake/*.jpg'))


def dim_room(rng: np.random.Generator, width: int = FRAME_WIDTH,
             height: int = FRAME_HEIGHT) -> np.ndarray:
    """A dark, blotchy background lit from one side (levels ~5-60)."""
    blotches = rng.uniform(0, 1, (height // 64 + 1, width // 64 + 1, 3)
                           ).astype(np.float32)
    blotches = cv2.resize(blotches, (width, height),
                          interpolation=cv2.INTER_CUBIC)
    light = np.linspace(0.4, 1.0, width, dtype=np.float32)[None, :, None]
    if rng.random() < 0.5:
        light = light[:, ::-1]
    return np.clip(10 + 50 * blotches * light, 0, 255).astype(np.uint8)


def darken(frame: np.ndarray, rng: np.random.Generator, gain: float = 0.45,
           noise_sigma: float = 5.0) -> np.ndarray:
    """Dim lighting and sensor noise: ``gain`` with a gamma that crushes
    shadows, plus Gaussian noise."""
    dim = np.round(255 * gain * (np.arange(256) / 255)**1.3)
    dim = cv2.LUT(frame, dim.astype(np.uint8)).astype(np.int16)
    noise = np.empty_like(dim)
    cv2.setRNGSeed(int(rng.integers(2**31)))
    cv2.randn(noise, 0, noise_sigma)
    return np.clip(dim + noise, 0, 255).astype(np.uint8)


def paste_face(frame: np.ndarray, face: np.ndarray, height: int,
               centre: Tuple[int, int]) -> np.ndarray:
    """Blend ``face`` scaled to ``height`` px into ``frame`` at ``centre``
    through a feathered ellipse (no hard crop edge); returns the face box
    ``[x1, y1, x2, y2]``."""
    scaled = cv2.resize(face, (height, height), interpolation=cv2.INTER_AREA)
    mask = np.zeros((height, height), np.float32)
    cv2.ellipse(mask, (height // 2, height // 2),
                (int(height * 0.46), int(height * 0.5)), 0, 0, 360, 1, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), height * 0.04)[..., None]
    x1, y1 = centre[0] - height // 2, centre[1] - height // 2
    region = frame[y1:y1 + height, x1:x1 + height].astype(np.float32)
    frame[y1:y1 + height, x1:x1 + height] = (
        region * (1 - mask) + scaled * mask).astype(np.uint8)
    return np.array([x1, y1, x1 + height, y1 + height], dtype=np.float64)


def pasted_face_frames(
        face_paths: Sequence[Path], seed: int = 0
) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """``(frame, face box)`` per face crop: one person standing in a dim
    portrait room, face 110-220 px high."""
    rng = np.random.default_rng(seed)
    for path in face_paths:
        face = cv2.imread(str(path), cv2.IMREAD_COLOR)
        height = int(rng.integers(*FACE_HEIGHTS))
        centre = (int(rng.integers(height, FRAME_WIDTH - height)),
                  int(rng.integers(500, 1000)))
        frame = dim_room(rng)
        torso = tuple(int(v) for v in rng.integers(25, 70, 3))
        cv2.ellipse(frame, (centre[0], centre[1] + 3 * height),
                    (int(1.3 * height), int(2.6 * height)), 0, 0, 360,
                    torso, -1)
        box = paste_face(frame, face, height, centre)
        yield darken(frame, rng), box


def portrait_dim_frames(clip: Path, indices: Sequence[int],
                        seed: int = 0) -> Iterator[np.ndarray]:
    """Frames of a landscape clip as a dim portrait video: its centre
    square (the person, at the clip's scale) in the upper middle of a dark
    1080x1920 room, darkened and noised."""
    from qcdet.utils.video import read_frames
    rng = np.random.default_rng(seed)
    room = dim_room(rng)
    for _, frame in sorted(read_frames(clip, indices).items()):
        height, width = frame.shape[:2]
        side = min(height, width, FRAME_WIDTH)
        x0, y0 = (width - side) // 2, (height - side) // 2
        portrait = room.copy()
        top, left = FRAME_HEIGHT // 5, (FRAME_WIDTH - side) // 2
        portrait[top:top + side, left:left + side] = \
            frame[y0:y0 + side, x0:x0 + side]
        yield darken(portrait, rng)


def write_h264(path: Path, frames: Iterator[np.ndarray], fps: int = 30,
               faststart: bool = False, x264_params: str = '') -> Path:
    """An H.264 mp4 with x264's default B-frames and key-frame interval
    (250), as DFDC's files; ``veryfast`` keeps writing quick. ``faststart``
    puts the index first, so that a file cut short still opens;
    ``x264_params`` overrides x264's settings (e.g. ``'keyint=12'``)."""
    import av
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = dict(movflags='faststart') if faststart else {}
    with av.open(str(path), 'w', options=options) as container:
        stream = None
        for frame in frames:
            if stream is None:
                stream = container.add_stream(
                    'libx264', rate=fps,
                    options=dict(preset='veryfast', crf='23',
                                 **({'x264-params': x264_params}
                                    if x264_params else {})))
                stream.height, stream.width = frame.shape[:2]
                stream.pix_fmt = 'yuv420p'
            video_frame = av.VideoFrame.from_ndarray(frame, format='bgr24')
            container.mux(stream.encode(video_frame))
        if stream is not None:
            container.mux(stream.encode(None))
    return path


def write_dfdc_part(data_root, out_dir, num_faces=None,
                    clip_indices=range(0, 300, 10)) -> dict:
    """A DFDC training part under ``out_dir``: ``pasted_faces.mp4`` (one
    DFDC face per frame, ``num_faces`` of them, default all),
    ``dim_portrait.mp4`` (the DFDC clip's frames at ``clip_indices``) and
    the ``metadata.json`` that lists both as real. Returns the video paths
    and the pasted faces' boxes, frame by frame."""
    data_root, out_dir = Path(data_root), Path(out_dir)
    pasted = list(pasted_face_frames(face_crop_paths(data_root)[:num_faces]))
    videos = dict(
        pasted_faces=write_h264(out_dir / 'pasted_faces.mp4',
                                (frame for frame, _ in pasted)),
        dim_portrait=write_h264(
            out_dir / 'dim_portrait.mp4',
            portrait_dim_frames(data_root / DFDC_CLIP, list(clip_indices))))
    import json
    (out_dir / 'metadata.json').write_text(json.dumps(
        {path.name: dict(label='REAL', split='train')
         for path in videos.values()}))
    return dict(videos=videos, pasted_boxes=[box for _, box in pasted])


def finds_the_face(detection, box, min_iou: float = 0.3) -> bool:
    """Whether ``detection`` (a FaceDetection or None) is the face at
    ``box``; any face counts where the box is unknown (None)."""
    from qcdet.faces import box_iou
    if detection is None:
        return False
    return box is None or box_iou(detection.box, box) >= min_iou
