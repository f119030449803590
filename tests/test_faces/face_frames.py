"""Real FF++ frames for the face tests (skipped where the shared data is
absent)."""
import os
from pathlib import Path

import pytest

FFPP = Path('icpr2020dfdc') / 'ffpp'
ORIGINALS = FFPP / 'original_sequences' / 'youtube' / 'c23' / 'videos'
MANIPULATED = FFPP / 'manipulated_sequences'


def shared_data_root():
    env = os.environ.get('QCDET_SHARED_DATA')
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / '..' / 'shared' / 'data'


def video_path(relative):
    path = shared_data_root() / relative
    if not path.is_file():
        pytest.skip(f'shared FF++ video absent: {path}')
    return path


def original_video(video_id):
    return video_path(ORIGINALS / f'{video_id}.mp4')


def fake_video(method, fake_id):
    return video_path(MANIPULATED / method / 'c23' / 'videos' /
                      f'{fake_id}.mp4')


def read_frames(path, indices):
    """BGR frames at ``indices`` (same indices give aligned fake/original
    frames in FF++)."""
    import cv2
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        for index in indices:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = capture.read()
            if not ok:
                raise RuntimeError(f'cannot read frame {index} of {path}')
            frames.append(frame)
    finally:
        capture.release()
    return frames
