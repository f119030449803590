"""Small generated videos for the preprocessing tests: synthetic faces that
dlib finds, a pixel-aligned face-swap fake with its mask video, a faceless
video and a corrupt file."""
import os
from pathlib import Path

import cv2
import numpy as np

from qcdet.offline.synthetic_data.faces import (
    render_frame,
    sample_identity,
    sample_poses,
)

SIZE = 160  # frame side in pixels
FPS = 10


def write_video(path, frames):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), FPS,
                             (w, h))
    for frame in frames:
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        writer.write(frame)
    writer.release()
    assert path.is_file() and path.stat().st_size > 0, path
    return path


def face_clip(seed, num_frames=6, size=SIZE):
    """Frames of one synthetic person and their inner-face masks."""
    rng = np.random.default_rng(seed)
    identity = sample_identity(rng)
    frames = [render_frame(identity, pose, size=size)
              for pose in sample_poses(rng, num_frames, size=size)]
    return ([f.image for f in frames],
            [f.masks['inner'] for f in frames])


def face_swap(real_frames, masks, donor_seed):
    """A fake made from ``real_frames``: the inner face of another person
    pasted inside the mask, the rest untouched (pixel-aligned)."""
    donor, _ = face_clip(donor_seed, len(real_frames), real_frames[0].shape[0])
    fakes, mask_frames = [], []
    for real, other, mask in zip(real_frames, donor, masks):
        m = mask[..., None]
        fakes.append((real * (1 - m) + other * m).round().astype(np.uint8))
        mask_frames.append((mask > 0.5).astype(np.uint8) * 255)
    return fakes, mask_frames


def faceless_clip(num_frames=6, size=SIZE, seed=0):
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3), np.uint8),
                            (0, 0), 8)
    return [np.roll(base, 3 * i, axis=1) for i in range(num_frames)]


def write_corrupt(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'\x00\x00\x00\x18ftypmp42' + os.urandom(2000))
    return path


def make_ffpp_tree(root, with_unlisted=False):
    """FF++-layout dataset: original 000 (face), 001 (faceless), 002
    (corrupt); Deepfakes 000_001 (fake of 000, with a mask video);
    Face2Face 005_006 (its original 005 absent); split lists in
    ``root/splits``. Returns the real/fake frames of 000."""
    root = Path(root)
    orig = root / 'original_sequences' / 'youtube' / 'c23' / 'videos'
    real, masks = face_clip(seed=1)
    fake, mask_frames = face_swap(real, masks, donor_seed=2)
    write_video(orig / '000.avi', real)
    write_video(orig / '001.avi', faceless_clip())
    write_corrupt(orig / '002.mp4')
    df = root / 'manipulated_sequences' / 'Deepfakes'
    write_video(df / 'c23' / 'videos' / '000_001.avi', fake)
    write_video(df / 'masks' / 'videos' / '000_001.avi', mask_frames)
    other, other_masks = face_clip(seed=3)
    f2f, _ = face_swap(other, other_masks, donor_seed=4)
    write_video(root / 'manipulated_sequences' / 'Face2Face' / 'c23' /
                'videos' / '005_006.avi', f2f)
    splits = root / 'splits'
    splits.mkdir()
    (splits / 'train.json').write_text('[["000", "001"], ["005", "006"]]')
    (splits / 'val.json').write_text('[["002", "003"]]')
    (splits / 'test.json').write_text('[]')
    if with_unlisted:
        write_video(orig / '777.avi', real)
    return real, fake
