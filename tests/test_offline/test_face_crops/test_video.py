
import cv2
import numpy as np
import pytest
from preprocess_videos import write_corrupt, write_video

from benchmarks import dfdc_footage
from qcdet.utils import video
from qcdet.utils.video import (
    VideoReadError,
    evenly_spaced_indices,
    read_frames,
    video_frame_count,
)


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


def test_read_frames_returns_exactly_the_sampled_frames(counter_video):
    assert video_frame_count(counter_video) == 30
    wanted = evenly_spaced_indices(30, 4)
    frames = read_frames(counter_video, wanted)
    assert sorted(frames) == wanted
    for index, frame in frames.items():
        assert abs(frame.mean() - 8 * index) < 3, index


def noise_counter(path, x264_params=''):
    """60 frames of noise around level 20 + 3 * i, as H.264 with B-frames
    (whose non-reference ones read_frames skips) and the index first."""
    rng = np.random.default_rng(0)
    frames = [np.clip(rng.normal(20 + 3 * i, 10, (48, 64, 3)), 0,
                      255).astype(np.uint8) for i in range(60)]
    return dfdc_footage.write_h264(path, iter(frames), faststart=True,
                                   x264_params=x264_params)


@pytest.fixture
def h264_counter(tmp_path):
    return noise_counter(tmp_path / 'count.mp4')


def test_h264_frames_are_those_of_sequential_decoding(h264_counter):
    every = list(video.iter_frames(h264_counter, range(60)))
    assert [index for index, _ in every] == list(range(60))
    for index, frame in every:
        assert abs(frame.mean() - 20 - 3 * index) < 6, index
    some = [0, 7, 8, 21, 33, 34, 59, 200]  # 200: past the end
    frames = read_frames(h264_counter, some)
    assert sorted(frames) == some[:-1]
    for index in frames:
        assert np.array_equal(frames[index], every[index][1]), index


@pytest.mark.parametrize('params', ['keyint=8:min-keyint=8',
                                    'keyint=8:min-keyint=8:open-gop=1'])
def test_groups_of_pictures_without_wanted_frames_are_not_decoded(
        tmp_path, monkeypatch, params):
    counter = noise_counter(tmp_path / 'gops.mp4', params)
    every = dict(video.iter_frames(counter, range(60)))
    fed = []
    needed = video._packets_needed
    monkeypatch.setattr(video, '_packets_needed',
                        lambda *args: fed.append(needed(*args)) or fed[-1])
    some = [1, 30, 31, 47]
    frames = read_frames(counter, some)
    assert sorted(frames) == some
    for index in some:
        assert np.array_equal(frames[index], every[index]), index
    assert len(fed[0]) < 40  # packets decoded, of the 48 up to frame 47


def test_a_file_cut_short_gives_its_intact_frames(h264_counter, tmp_path):
    every = dict(video.iter_frames(h264_counter, range(60)))
    data = h264_counter.read_bytes()
    cut = tmp_path / 'cut.mp4'
    cut.write_bytes(data[:len(data) * 3 // 5])
    assert video_frame_count(cut) == 60  # as the index says
    frames = read_frames(cut, range(60))
    assert 20 < len(frames) < 50
    for index, frame in frames.items():  # no half-decoded frame
        assert np.array_equal(frame, every[index]), index


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


def test_frames_past_the_first_key_frame_of_a_4_4_4_clip(shared_data):
    """Decoding must start with the first packet even when no wanted frame
    needs it: its SEI names the x264 version, without which FFmpeg decodes
    FF++'s 4:4:4 clips to other pixels."""
    clip = (shared_data / 'icpr2020dfdc' / 'ffpp' / 'manipulated_sequences' /
            'Deepfakes' / 'c23' / 'videos' / '519_515.mp4')
    if not clip.is_file():
        pytest.skip(f'shared FF++ clip absent: {clip}')
    capture = cv2.VideoCapture(str(clip))
    for _ in range(261):  # key frames at 0 and 250
        ok, frame = capture.read()
        assert ok
    capture.release()
    assert np.array_equal(read_frames(clip, [260])[260], frame)
