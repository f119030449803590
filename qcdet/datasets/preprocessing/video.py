"""Decode only the sampled frames of a video, with PyAV (FFmpeg).

Sampled frames of FF++/DFDC clips lie 10-100 frames apart but key frames
250 apart (x264's default), so reaching one means decoding most frames
before it: seeking saves little, the decoder's work is the cost. PyAV lets
FFmpeg skip what no wanted frame needs: an unwanted frame that no other
frame references (x264's non-reference B-frames) is dropped unparsed
(``skip_frame='NONREF'``), groups of pictures that no wanted frame needs
are not decoded (long videos), decoding stops after the last wanted frame,
and FFmpeg's frame threads decode the rest in parallel. Frames are the ones
OpenCV returns, pixel for pixel. Measured in docs/data.md
(benchmarks/preprocess_speed.py).
"""
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np

__all__ = ['VideoReadError', 'evenly_spaced_indices', 'video_frame_count',
           'iter_frames', 'read_frames']


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


def _open(path):
    """The container and its first video stream."""
    import av
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as error:
        raise VideoReadError(f'cannot open video {path}: {error}') from error
    if not container.streams.video:
        container.close()
        raise VideoReadError(f'no video stream in {path}')
    return container, container.streams.video[0]


def _packets(container, stream) -> list:
    """The stream's packets in decode order, up to where the file is cut
    or unreadable."""
    import av
    packets = []
    try:
        for packet in container.demux(stream):
            if packet.size:  # the demuxer's last, empty one only flushes
                packets.append(packet)
    except av.FFmpegError:
        pass  # a damaged file: decode what was read
    return packets


def video_frame_count(path) -> int:
    """Frame count from the container (counting packets where it gives
    none); raises for unreadable or empty files."""
    container, stream = _open(path)
    with container:
        count = stream.frames or len(_packets(container, stream))
    if count <= 0:
        raise VideoReadError(f'video has no frames: {path}')
    return count


def _display_indices(packets) -> Dict[int, int]:
    """pts -> frame index (display order), or {} when some packet has no
    timestamp (then frames are counted as they come out)."""
    stamps = [packet.pts for packet in packets]
    if None in stamps or len(set(stamps)) < len(stamps):
        return {}
    return {pts: index for index, pts in enumerate(sorted(stamps))}


def _packets_needed(packets, index_of, wanted) -> list:
    """The packets that decoding the ``wanted`` frames needs: those of
    every group of pictures (a key frame and the packets up to the next)
    holding a wanted frame, and of the group before it (an open group's
    leading B-frames reference it), up to the last packet holding a frame
    not after the last wanted one (B-frames may reference later frames).
    Skipping the other groups is what seeking gives in long videos."""
    last = max(wanted)
    end = 1 + max((n for n, packet in enumerate(packets)
                   if index_of[packet.pts] <= last), default=-1)
    group_of, group = [], 0
    for n, packet in enumerate(packets[:end]):
        group += bool(packet.is_keyframe and n)
        group_of.append(group)
    groups = {group_of[n] for n, packet in enumerate(packets[:end])
              if index_of[packet.pts] in wanted}
    groups |= {group - 1 for group in groups}
    return [packet for n, packet in enumerate(packets[:end])
            if group_of[n] in groups]


def iter_frames(path, indices: Sequence[int]
                ) -> Iterator[Tuple[int, np.ndarray]]:
    """``(index, BGR frame)`` for the frames at ``indices``, in order;
    frames that cannot be decoded are left out, as is a frame whose data
    the file's end cuts (FFmpeg would return it half garbage)."""
    import av
    wanted = {int(i) for i in indices}
    if not wanted:
        return
    container, stream = _open(path)
    with container:
        stream.thread_type = 'AUTO'
        decoder = stream.codec_context
        packets = _packets(container, stream)
        index_of = _display_indices(packets)
        damaged = {packet.pts for packet in packets if packet.is_corrupt}
        counted = 0  # frames out so far, where timestamps are missing

        def frames_out(packet):
            nonlocal counted
            try:
                frames = decoder.decode(packet)
            except av.FFmpegError:
                return
            for frame in frames:
                if index_of:
                    index = index_of.get(frame.pts)
                else:
                    index, counted = counted, counted + 1
                if index in wanted and frame.pts not in damaged:
                    yield index, frame.to_ndarray(format='bgr24')

        if index_of:
            packets = _packets_needed(packets, index_of, wanted)
        for packet in packets:
            # only with timestamps is it known which frame a packet holds
            skip = index_of and index_of[packet.pts] not in wanted
            decoder.skip_frame = 'NONREF' if skip else 'DEFAULT'
            yield from frames_out(packet)
        decoder.skip_frame = 'DEFAULT'
        yield from frames_out(None)  # frames still in the decoder


def read_frames(path, indices: Sequence[int]) -> Dict[int, np.ndarray]:
    """BGR frames at ``indices`` (see :func:`iter_frames`). Raises
    :class:`VideoReadError` when none can be decoded."""
    frames = dict(iter_frames(path, indices))
    if len(indices) and not frames:
        raise VideoReadError(f'cannot decode any frame of {path}')
    return frames
