"""Decode only the sampled frames of a video (seeking, not reading all)."""
from typing import Dict, List, Sequence

import cv2
import numpy as np

__all__ = ['VideoReadError', 'evenly_spaced_indices', 'video_frame_count',
           'read_frames']

# Gaps up to this many frames are skipped with grab() (no conversion to BGR,
# frame-exact) instead of a seek, which restarts decoding at the previous
# key frame (x264's default key-frame interval is 250): on FF++/DFDC clips
# (300-750 frames) seeking to 4-32 frames is slower than grabbing through.
MAX_GRAB_GAP = 120


class VideoReadError(RuntimeError):
    """A video that cannot be opened, is empty, or whose frames cannot be
    decoded; the message names the file."""


def evenly_spaced_indices(total: int, num: int) -> List[int]:
    """``num`` frame indices spread over ``[0, total)`` including both ends
    (all frames when the video is shorter)."""
    if total <= 0:
        return []
    if num <= 0:
        raise ValueError(f'num must be > 0, got {num}')
    if total <= num:
        return list(range(total))
    return sorted({int(i) for i in np.linspace(0, total - 1, num).round()})


def _open(path) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise VideoReadError(f'cannot open video {path}')
    return capture


def video_frame_count(path) -> int:
    """Frame count from the container; raises for unreadable/empty files."""
    capture = _open(path)
    try:
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    if count <= 0:
        raise VideoReadError(f'video has no frames: {path}')
    return count


def read_frames(path, indices: Sequence[int]) -> Dict[int, np.ndarray]:
    """BGR frames at ``indices``; indices that cannot be decoded are left
    out. Raises :class:`VideoReadError` when none can.

    A frame that decoded right before a failing one is left out too: where a
    file was cut short, FFmpeg decodes the frame the cut goes through
    without an error (half of it garbage), and the next read is the first
    to fail. Dropping it costs one good frame when a cut falls exactly
    between frames.
    """
    capture = _open(path)
    frames = {}
    position = 0  # index of the frame the next read() returns
    last_decoded = -2  # index of the last frame grabbed or read successfully

    def failed(at: int) -> None:
        if last_decoded == at - 1:
            frames.pop(last_decoded, None)

    try:
        for index in sorted(set(int(i) for i in indices)):
            gap = index - position
            if gap < 0 or gap > MAX_GRAB_GAP:
                capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            else:
                for _ in range(gap):
                    if capture.grab():
                        last_decoded = position
                    else:
                        failed(position)
                    position += 1
            ok, frame = capture.read()
            position = index + 1
            if ok and frame is not None:
                frames[index] = frame
                last_decoded = index
            else:
                failed(index)
    finally:
        capture.release()
    if indices and not frames:
        raise VideoReadError(f'cannot decode any frame of {path}')
    return frames
