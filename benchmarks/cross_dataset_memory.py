"""Peak memory of scoring many frames: does testing stay flat in the number
of frames (only ``(score, label, video_id)`` kept per frame)?

``python -m benchmarks.cross_dataset_memory [--frames 100000]
[--frames-per-video 32]``

Each measurement runs in a fresh process (so ``ru_maxrss`` is its own peak)
at N and 2N frames; the difference is the growth caused by N more frames,
reported per million frames. Two set-ups:

- ``metric``: DataSamples shaped like the model's predictions go through
  MMEngine's Evaluator into DeepfakeMetric (``process`` + ``evaluate``).
- ``loop``: the same through MMEngine's TestLoop (Runner, DataLoader,
  a stand-in model returning random scores, hooks, ``DeepfakeMetric``).

Prints ``name: value`` lines. Not a pytest test (tests live in tests/).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fake_samples(start, count, frames_per_video, seed=0):
    """DataSamples like DeepfakeDetector's predictions (``pred_score``,
    ``gt_label``, the pipeline's metainfo)."""
    import torch
    from mmpretrain.structures import DataSample
    generator = torch.Generator().manual_seed(seed + start)
    fake_prob = torch.rand(count, generator=generator)
    samples = []
    for i in range(count):
        index = start + i
        video = index // frames_per_video
        label = video % 2
        sample = DataSample(metainfo=dict(
            sample_idx=index, img_path=f'frames/{video:07d}/{index:09d}.png',
            video_id=f'bench/{"fake" if label else "real"}/{video:07d}',
            dataset='bench', method='fake' if label else 'real',
            frame_idx=index % frames_per_video, qc_easy=False))
        sample.set_gt_label(label)
        p = float(fake_prob[i])
        sample.set_pred_score(torch.tensor([1 - p, p]))
        samples.append(sample)
    return samples


def run_metric(frames, frames_per_video, batch_size=256):
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    init_default_scope('qcdet')
    evaluator = Evaluator(dict(type='DeepfakeMetric'))
    for start in range(0, frames, batch_size):
        count = min(batch_size, frames - start)
        evaluator.process(fake_samples(start, count, frames_per_video))
    return evaluator.evaluate(frames)


def run_loop(frames, frames_per_video, batch_size=256):
    """A real TestLoop over a dataset of tiny tensors and a stand-in model
    that only makes the predictions."""
    import torch
    from mmengine.dataset import BaseDataset
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class FrameIds(BaseDataset):
        def __init__(self, size):
            self.size = size
            super().__init__(lazy_init=True, serialize_data=False)

        def full_init(self):
            self._fully_initialized = True

        def __len__(self):
            return self.size

        def __getitem__(self, idx):
            return dict(inputs=torch.tensor(idx))

    class RandomScores(BaseModel):
        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1))

        def forward(self, inputs, data_samples=None, mode='predict'):
            first = int(inputs[0])
            return fake_samples(first, len(inputs), frames_per_video)

    work_dir = tempfile.mkdtemp(prefix='qcdet_mem_')
    runner = Runner(
        model=RandomScores(), work_dir=work_dir,
        test_dataloader=dict(dataset=FrameIds(frames), batch_size=batch_size,
                             num_workers=0,
                             sampler=dict(type='DefaultSampler',
                                          shuffle=False)),
        test_cfg=dict(), test_evaluator=dict(type='DeepfakeMetric'),
        default_scope='qcdet', log_level='WARNING',
        default_hooks=dict(logger=dict(type='LoggerHook', interval=10**9)))
    return runner.test()


def measure(mode, frames, frames_per_video):
    """Peak RSS (MB) of a fresh process scoring ``frames`` frames."""
    out = subprocess.run([
        sys.executable, '-m', 'benchmarks.cross_dataset_memory', '--worker',
        mode, '--frames',
        str(frames), '--frames-per-video',
        str(frames_per_video)
    ], cwd=REPO, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO),
                                  OMP_NUM_THREADS='1'))
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--frames', type=int, default=100_000,
                        help='N: frames of the smaller run (the larger has '
                        '2N)')
    parser.add_argument('--frames-per-video', type=int, default=32)
    parser.add_argument('--modes', nargs='+', default=['metric', 'loop'],
                        choices=['metric', 'loop'])
    parser.add_argument('--worker', choices=['metric', 'loop'],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        run = run_metric if args.worker == 'metric' else run_loop
        before = peak_rss_mb()
        metrics = run(args.frames, args.frames_per_video)
        assert metrics['num_frames'] == args.frames, metrics
        print(json.dumps(dict(peak_mb=peak_rss_mb(), start_mb=before)))
        return

    n = args.frames
    print(f'frames_small: {n}')
    print(f'frames_large: {2 * n}')
    print(f'frames_per_video: {args.frames_per_video}')
    for mode in args.modes:
        small = measure(mode, n, args.frames_per_video)
        large = measure(mode, 2 * n, args.frames_per_video)
        per_million = (large['peak_mb'] - small['peak_mb']) * 1e6 / n
        print(f'{mode}_peak_rss_mb_small: {small["peak_mb"]:.1f}')
        print(f'{mode}_peak_rss_mb_large: {large["peak_mb"]:.1f}')
        print(f'{mode}_peak_rss_growth_mb_per_million_frames: '
              f'{per_million:.1f}')
        # MiB per million frames -> bytes per frame
        print(f'{mode}_bytes_per_frame: {per_million * 1.048576:.0f}')


if __name__ == '__main__':
    main()
