import numpy as np
import pytest
from preprocess_videos import write_corrupt, write_video

from qcdet.datasets.preprocessing import video
from qcdet.datasets.preprocessing.video import (VideoReadError,
                                                evenly_spaced_indices,
                                                read_frames,
                                                video_frame_count)


def test_evenly_spaced_indices_cover_the_whole_video():
    assert evenly_spaced_indices(100, 5) == [0, 25, 50, 74, 99]
    assert evenly_spaced_indices(3, 8) == [0, 1, 2]  # short video: all
    assert evenly_spaced_indices(0, 8) == []
    with pytest.raises(ValueError):
        evenly_spaced_indices(10, 0)


@pytest.fixture
def counter_video(tmp_path):
    """Frame i is flat grey level 8 * i, so a frame tells its index."""
    frames = [np.full((32, 48, 3), 8 * i, np.uint8) for i in range(30)]
    return write_video(tmp_path / 'count.avi', frames)


@pytest.mark.parametrize('max_gap', [0, 1000])  # seek / grab through
def test_read_frames_returns_exactly_the_sampled_frames(
        counter_video, monkeypatch, max_gap):
    monkeypatch.setattr(video, 'MAX_GRAB_GAP', max_gap)
    assert video_frame_count(counter_video) == 30
    wanted = evenly_spaced_indices(30, 4)
    frames = read_frames(counter_video, wanted)
    assert sorted(frames) == wanted
    for index, frame in frames.items():
        assert abs(frame.mean() - 8 * index) < 3, index


def test_unreadable_videos_raise_a_clear_error(tmp_path):
    corrupt = write_corrupt(tmp_path / 'bad.mp4')
    with pytest.raises(VideoReadError, match='bad.mp4'):
        video_frame_count(corrupt)
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    with pytest.raises(VideoReadError, match='empty.mp4'):
        read_frames(empty, [0])
    with pytest.raises(VideoReadError, match='missing.mp4'):
        video_frame_count(tmp_path / 'missing.mp4')
