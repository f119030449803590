"""Face-cropping speed and face-found rate of data preprocessing on the
sample clips in ../shared/data (FF++ c23 and the DFDC video).

Prints ``name: value`` lines:
  frames                          sampled frames timed (per path)
  decode_sampled_fps              frames/s decoding only the sampled frames
  dlib_full_fps / _face_rate      dlib HOG on full-resolution frames
  dlib_default_fps / _face_rate   dlib HOG on frames shrunk to the default
                                  max_side (what preprocess.py runs)
  retinaface_fps / _face_rate     RetinaFace at the same max_side
  default_speedup_over_dlib_full  dlib_default_fps / dlib_full_fps
  retinaface_speedup_over_dlib_full

fps counts detection + landmarks + alignment + warp per frame, one thread.

    python benchmarks/preprocess_speed.py [--frames-per-video 4] [--repeats 2]
        [--data DIR]
"""
import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault('OMP_NUM_THREADS', '1')
try:
    import qcdet  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qcdet.datasets.preprocessing import (  # noqa: E402
    evenly_spaced_indices, read_frames, video_frame_count)
from qcdet.faces import FaceCropper, default_detector_cfg  # noqa: E402

DEFAULT_DETECTOR_CFG = default_detector_cfg('dlib')

REPO = Path(__file__).resolve().parents[1]


def sample_clips(data):
    clips = sorted((data / 'icpr2020dfdc' / 'ffpp').rglob('*.mp4'))
    clips += sorted((data / 'cvit-dfdc-faces' / 'videos').glob('*.mp4'))
    return clips


def time_path(frames, detector, detector_cfg, size, repeats):
    """Best of ``repeats`` passes (the machine may be shared)."""
    cropper = FaceCropper(detector, size=size, detector_cfg=detector_cfg)
    cropper.crop(frames[0])  # warm up (model loading)
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        found = sum(cropper.crop(frame) is not None for frame in frames)
        best = min(best, time.perf_counter() - start)
    return len(frames) / best, found / len(frames)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--frames-per-video', type=int, default=4)
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--repeats', type=int, default=2,
                   help='passes per path; the fastest counts')
    p.add_argument('--data', default=os.environ.get(
        'QCDET_SHARED_DATA', str(REPO.parent / 'shared' / 'data')))
    args = p.parse_args(argv)
    clips = sample_clips(Path(args.data))
    if not clips:
        print(f'no sample clips under {args.data}', file=sys.stderr)
        return 1

    frames = []
    start = time.perf_counter()
    for clip in clips:
        indices = evenly_spaced_indices(video_frame_count(clip),
                                        args.frames_per_video)
        frames += list(read_frames(clip, indices).values())
    decode_fps = len(frames) / (time.perf_counter() - start)

    full_fps, full_rate = time_path(frames, 'dlib', {}, args.size,
                                    args.repeats)
    dlib_fps, dlib_rate = time_path(frames, 'dlib', DEFAULT_DETECTOR_CFG,
                                    args.size, args.repeats)
    rf_fps, rf_rate = time_path(frames, 'retinaface', DEFAULT_DETECTOR_CFG,
                                args.size, args.repeats)
    results = dict(
        clips=len(clips), frames=len(frames),
        decode_sampled_fps=decode_fps,
        dlib_full_fps=full_fps, dlib_full_face_rate=full_rate,
        dlib_default_fps=dlib_fps, dlib_default_face_rate=dlib_rate,
        retinaface_fps=rf_fps, retinaface_face_rate=rf_rate,
        default_speedup_over_dlib_full=dlib_fps / full_fps,
        retinaface_speedup_over_dlib_full=rf_fps / full_fps,
        default_max_side=DEFAULT_DETECTOR_CFG['max_side'])
    for name, value in results.items():
        print(f'{name}: {value:.3f}' if isinstance(value, float)
              else f'{name}: {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
