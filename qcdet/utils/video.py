"""Decode only the sampled frames of a video, with PyAV (FFmpeg).

Sampled frames of FF++/DFDC clips lie 10-100 frames apart but key frames
250 apart (x264's default), so reaching one means decoding most frames
before it: seeking saves little, the decoder's work is the cost. PyAV lets
FFmpeg skip what no wanted frame needs: an unwanted frame that no other
frame references (x264's non-reference B-frames) is dropped unparsed
(``skip_frame='NONREF'``), only the packets from a wanted frame's key frame
to it are decoded (as seeking would; it matters in long videos), and
FFmpeg's frame threads decode the rest in parallel. Frames are the ones
OpenCV returns, pixel for pixel. Measured in docs/data.md
(benchmarks/preprocess_speed.py).
"""
from typing import (
    Dict,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
)

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


class _PacketInfo(NamedTuple):
    pts: Optional[int]
    is_keyframe: bool
    is_corrupt: bool


def _demux(container, stream) -> Iterator:
    """The stream's packets in decode order, up to where the file is cut
    or unreadable."""
    import av
    try:
        for packet in container.demux(stream):
            if packet.size:  # the demuxer's last, empty one only flushes
                yield packet
    except av.FFmpegError:
        return  # a damaged file: decode what was read


def _packet_infos(path) -> List[_PacketInfo]:
    """What decoding needs to know of each packet, without its data (a
    long video's packets would not fit in memory)."""
    container, stream = _open(path)
    with container:
        return [_PacketInfo(packet.pts, packet.is_keyframe,
                            packet.is_corrupt)
                for packet in _demux(container, stream)]


def video_frame_count(path) -> int:
    """Frame count from the container (counting packets where it gives
    none); raises for unreadable or empty files."""
    container, stream = _open(path)
    with container:
        count = stream.frames or sum(1 for _ in _demux(container, stream))
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


def _packets_needed(packets, index_of, wanted) -> Set[int]:
    """Positions of the packets that decoding the ``wanted`` frames needs,
    which is what
    seeking gives: for each group of pictures (a key frame and the packets
    up to the next, in decode order) holding wanted frames, its packets up
    to the last wanted one; all of the group before where a wanted frame
    shows before its key frame (an open group's leading B-frames reference
    the group before)."""
    group_of, first_of, key_shown, group = [], {}, {}, 0
    for n, packet in enumerate(packets):
        group += bool(packet.is_keyframe and n)
        group_of.append(group)
        first_of.setdefault(group, n)
        if packet.is_keyframe:
            key_shown.setdefault(group, index_of[packet.pts])
    last_needed = {}  # group -> position of the last packet it needs
    for n, packet in enumerate(packets):
        index, group = index_of[packet.pts], group_of[n]
        if index not in wanted:
            continue
        last_needed[group] = n
        if group and index < key_shown.get(group, -1):
            last_needed[group - 1] = first_of[group] - 1
    # the first packet always: its SEI may name the x264 version, which
    # FFmpeg needs to undo old x264 bugs (FF++'s 4:4:4 clips decode to
    # other pixels without it)
    return {n for n in range(len(packets))
            if n == 0 or n <= last_needed.get(group_of[n], -1)}


def iter_frames(path, indices: Sequence[int]
                ) -> Iterator[Tuple[int, np.ndarray]]:
    """``(index, BGR frame)`` for the frames at ``indices``, in order;
    frames that cannot be decoded are left out, as is a frame whose data
    the file's end cuts (FFmpeg would return it half garbage)."""
    import av
    wanted = {int(i) for i in indices}
    if not wanted:
        return
    packets = _packet_infos(path)
    index_of = _display_indices(packets)
    damaged = {packet.pts for packet in packets if packet.is_corrupt}
    # only with timestamps is it known which frame a packet holds
    needed = _packets_needed(packets, index_of, wanted) if index_of else \
        set(range(len(packets)))
    counted = 0  # frames out so far, where timestamps are missing
    container, stream = _open(path)
    with container:
        stream.thread_type = 'AUTO'
        decoder = stream.codec_context

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

        last = max(needed, default=-1)
        for n, packet in enumerate(_demux(container, stream)):
            if n > last:
                break
            if n not in needed:
                continue
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
