"""End-to-end speed and face recall of data preprocessing: qcdet's default
pipeline against a DeepfakeBench-style one, on the sample clips in
../shared/data (FF++ c23 and the DFDC video) and on DFDC-style footage built
from them in a temporary folder (benchmarks/dfdc_footage.py).

Pipelines, each from the video file to the aligned crop of every sampled
frame (decode + detection + landmarks + alignment):
  qcdet          what tools/data/preprocess.py runs: read_frames (PyAV,
                 non-reference frames skipped, FFmpeg threads) and
                 FaceCropper() (the default RetinaFace cascade)
  deepfakebench  OpenCV reading every frame up to each sampled one (one
                 decoder thread), dlib HOG (one upsampling) on the
                 full-resolution frame, dlib's 68 landmarks

Prints ``name: value`` lines:
  frames_clips, frames_footage    sampled frames timed (per pipeline)
  <pipeline>_fps                  sampled frames per second, all frames
  <pipeline>_decode_fps           the same counting decoding only
  <pipeline>_recall_clips         share of the clips' sampled frames with a
                                  face found
  <pipeline>_recall_footage       share of the footage's sampled frames
                                  where the face found is the one there
  <pipeline>_recall               both together
  speedup_over_deepfakebench      qcdet_fps / deepfakebench_fps

    python -m benchmarks.preprocess_speed [--frames-per-video 32]
        [--max-clips N] [--footage-faces N] [--footage-clip-frames 30]
        [--data DIR]
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
from threadpoolctl import threadpool_limits

from benchmarks import dfdc_footage
from qcdet.faces import FaceCropper
from qcdet.utils.video import (
    evenly_spaced_indices,
    read_frames,
    video_frame_count,
)

REPO = Path(__file__).resolve().parents[1]


def sample_clips(data):
    clips = sorted((data / 'icpr2020dfdc' / 'ffpp').rglob('*.mp4'))
    clips += sorted((data / 'cvit-dfdc-faces' / 'videos').glob('*.mp4'))
    return clips


def read_every_frame(path, indices):
    """DeepfakeBench-style decoding: OpenCV reads (decodes and converts)
    every frame up to the last sampled one, with one decoder thread."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG,
                               [cv2.CAP_PROP_N_THREADS, 1])
    wanted, frames = set(indices), {}
    try:
        for index in range(max(indices) + 1):
            ok, frame = capture.read()
            if not ok:
                break
            if index in wanted:
                frames[index] = frame
    finally:
        capture.release()
    return frames


class Pipeline:
    """A decoder and a cropper, timed and scored over videos."""

    def __init__(self, decode, cropper):
        self.decode, self.cropper = decode, cropper
        self.seconds = self.decode_seconds = 0.0
        self.frames = 0
        self.found = dict(clips=0, footage=0)

    def run(self, path, indices, kind, boxes=None):
        """Crop the sampled frames of ``path``; ``boxes`` maps a frame index
        to the face that must be found (any face where absent)."""
        start = time.perf_counter()
        frames = self.decode(path, indices)
        self.decode_seconds += time.perf_counter() - start
        for index in indices:
            frame = frames.get(index)
            face = None if frame is None else self.cropper.locate(frame)
            if face is not None:
                self.cropper.crop(frame, face)
            box = (boxes or {}).get(index)
            self.found[kind] += dfdc_footage.finds_the_face(face, box)
        self.seconds += time.perf_counter() - start
        self.frames += len(indices)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--frames-per-video', type=int, default=32,
                   help='sampled frames per video (preprocess.py: 32)')
    p.add_argument('--size', type=int, default=256)
    p.add_argument('--max-clips', type=int, default=None,
                   help='time only the first N shared clips')
    p.add_argument('--footage-faces', type=int, default=None,
                   help='DFDC faces pasted into the footage (default all)')
    p.add_argument('--footage-clip-frames', type=int, default=30,
                   help='frames of the DFDC clip in the footage')
    p.add_argument('--data', default=os.environ.get(
        'QCDET_SHARED_DATA', str(REPO.parent / 'shared' / 'data')))
    args = p.parse_args(argv)
    threadpool_limits(1)  # OpenMP and BLAS on one thread, as before
    data = Path(args.data)
    clips = sample_clips(data)[:args.max_clips]
    if not clips or not dfdc_footage.face_crop_paths(data):
        print(f'no sample clips or DFDC faces under {data}', file=sys.stderr)
        return 1

    pipelines = dict(
        qcdet=Pipeline(read_frames, FaceCropper(size=args.size)),
        deepfakebench=Pipeline(
            read_every_frame,
            FaceCropper('dlib', size=args.size, detector_cfg={})))
    for pipeline in pipelines.values():  # load the models before timing
        pipeline.cropper.locate(cv2.imread(
            str(dfdc_footage.face_crop_paths(data)[0])))

    frames_clips = frames_footage = 0
    for clip in clips:
        indices = evenly_spaced_indices(video_frame_count(clip),
                                        args.frames_per_video)
        frames_clips += len(indices)
        for pipeline in pipelines.values():
            pipeline.run(clip, indices, 'clips')
    with tempfile.TemporaryDirectory() as tmp:
        step = max(1, 300 // args.footage_clip_frames)
        footage = dfdc_footage.write_dfdc_part(
            data, tmp, num_faces=args.footage_faces,
            clip_indices=range(0, step * args.footage_clip_frames, step))
        boxes = dict(enumerate(footage['pasted_boxes']))
        for name, video in footage['videos'].items():
            indices = evenly_spaced_indices(video_frame_count(video),
                                            args.frames_per_video)
            frames_footage += len(indices)
            for pipeline in pipelines.values():
                pipeline.run(video, indices, 'footage',
                             boxes if name == 'pasted_faces' else None)

    results = dict(clips=len(clips), frames_clips=frames_clips,
                   frames_footage=frames_footage, cpu_count=os.cpu_count())
    for name, pipeline in pipelines.items():
        results.update({
            f'{name}_fps': pipeline.frames / pipeline.seconds,
            f'{name}_decode_fps': pipeline.frames / pipeline.decode_seconds,
            f'{name}_recall_clips': pipeline.found['clips'] / frames_clips,
            f'{name}_recall_footage':
            pipeline.found['footage'] / frames_footage,
            f'{name}_recall': sum(pipeline.found.values()) / pipeline.frames,
        })
    results['speedup_over_deepfakebench'] = \
        results['qcdet_fps'] / results['deepfakebench_fps']
    for name, value in results.items():
        print(f'{name}: {value:.3f}' if isinstance(value, float)
              else f'{name}: {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
