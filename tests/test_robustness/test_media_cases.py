"""Broken videos the other tests do not cover: a truncated file (a copy
that stopped half-way) and a video container without frames."""
import json

import cv2
import numpy as np
import pytest

from qcdet.offline.face_crops import build_layout, preprocess_dataset
from qcdet.offline.synthetic_data.faces import (
    render_frame,
    sample_identity,
    sample_poses,
)
from qcdet.utils.video import (
    VideoReadError,
    read_frames,
    video_frame_count,
)

NUM_FRAMES = 20


def write_video(path, frames, codec):
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 10,
                             (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


def face_frames(num_frames=NUM_FRAMES, size=160):
    rng = np.random.default_rng(3)
    identity = sample_identity(rng)
    return [render_frame(identity, pose, size=size).image
            for pose in sample_poses(rng, num_frames, size=size)]


def test_truncated_avi_gives_only_its_intact_frames(tmp_path):
    """Expectation: a truncated AVI (its header still claims all frames)
    yields only the frames it really holds, each identical to the same
    frame of the intact file; the frames past the cut, and the one the cut
    goes through (FFmpeg decodes it without an error), are left out, never
    returned as garbage.
    """
    frames = face_frames(size=64)
    intact = read_frames(write_video(tmp_path / 'a.avi', frames, 'MJPG'),
                         range(NUM_FRAMES))
    cut = truncate(write_video(tmp_path / 'cut.avi', frames, 'MJPG'))
    assert video_frame_count(cut) == NUM_FRAMES  # the header is intact
    got = read_frames(cut, range(NUM_FRAMES))
    assert 0 < len(got) < NUM_FRAMES
    for index, frame in got.items():
        np.testing.assert_array_equal(frame, intact[index])


def test_truncated_mp4_and_frameless_videos_are_clear_errors(tmp_path):
    """Expectation: an MP4 cut before its index (the moov atom at its end)
    and containers holding no frame raise VideoReadError naming the file
    (preprocessing counts these as 'unreadable video' failures, see
    tests/test_offline/test_face_crops/test_runner.py)."""
    cut = truncate(write_video(tmp_path / 'cut.mp4', face_frames(size=64),
                               'mp4v'))
    with pytest.raises(VideoReadError, match='cut.mp4'):
        read_frames(cut, [0])
    for name, codec in (('empty.avi', 'MJPG'), ('empty.mp4', 'mp4v')):
        path = tmp_path / name
        cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 10,
                        (64, 64)).release()  # a header, no frame
        with pytest.raises(VideoReadError, match=name):
            video_frame_count(path)


def test_preprocessing_counts_the_frames_a_truncated_video_lost(tmp_path):
    """Expectation: preprocessing a truncated video finishes it with the
    decodable frames, and records how many sampled frames could not be
    decoded (``frames_undecodable`` in its done marker; the run summary's
    ``frames_with_face`` < ``frames_sampled``); no crop is made from a
    frame past the cut."""
    root = tmp_path / 'raw'
    truncate(write_video(root / 'train' / 'real' / 'a.avi', face_frames(),
                         'MJPG'))
    out = tmp_path / 'out'
    summary = preprocess_dataset(build_layout('folder', root), str(out),
                                 num_frames=8, size=64, progress=False)
    assert summary['done'] == 1 and summary['failed'] == 0
    (marker_path, ) = (out / 'done').rglob('*.json')
    marker = json.loads(marker_path.read_text())
    assert marker['frames_undecodable'] > 0
    assert marker['frames_with_face'] + marker['frames_undecodable'] + \
        marker['frames_no_face'] == marker['frames_sampled'] == 8
    assert summary['frames_with_face'] < summary['frames_sampled'] == 8
    decodable = len(read_frames(root / 'train' / 'real' / 'a.avi',
                                range(NUM_FRAMES)))
    assert all(r['frame_idx'] < decodable for r in marker['records'])
