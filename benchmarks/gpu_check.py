"""GPU check of the flagship: EfficientNet-B4 trained plain and quality-centric
(QC) through tools/train.py with the FF++ configs' GPU settings, on synthetic
256 px frames it generates itself (no dataset, no internet).

Entry point: ``bash benchmarks/gpu_check.sh`` (≤ 8 min on one GPU). Steps, each
the tool a user runs: tools/data/make_demo_data.py (synthetic faces),
tools/quality/score_static.py --backend ssim (static scores for QC), then
tools/train.py for configs/baseline_effnet_ffpp.py and
configs/qc_effnet_ffpp.py with --cfg-options for the data root, batch size,
workers and epochs, without validation, checkpoints or ImageNet weights
(model.backbone.init_cfg=None: the GPU machine has no internet). The first
epoch warms up (workers, cuDNN autotuning, allocator) and is not timed.

Prints ``name: value`` lines:
  plain_img_per_s, qc_img_per_s   training images per second of the timed
                                  epochs: batch size x iterations / the summed
                                  step times of MMEngine's IterTimerHook (data
                                  wait + preprocessing + forward + backward +
                                  optimizer + per-iteration hooks; epoch-end
                                  work such as the QC sampler's refresh is not
                                  in it: benchmarks/train_throughput.py's
                                  refresh_share)
  qc_over_plain                   qc_img_per_s / plain_img_per_s, both from
                                  this run
  plain_data_wait_share, qc_data_wait_share  summed data_time / summed time:
                                  the share of a step spent waiting for the
                                  DataLoader; near 0 when the workers keep up,
                                  large when they are the bottleneck
  plain_peak_gpu_mem_mib, qc_peak_gpu_mem_mib  torch.cuda.max_memory_allocated
                                  during training (MMEngine's logged
                                  ``memory``), MiB; nan without a GPU
  plain_cpu_ms_per_image, qc_cpu_ms_per_image  CPU time of the whole
                                  tools/train.py run (training process and its
                                  DataLoader workers, start-up and warm-up
                                  included) per trained image
  qc_over_plain_cpu               plain_cpu_ms_per_image / qc_cpu_ms_per_image:
                                  QC's extra CPU (FreDA, seeding, the hook),
                                  which a GPU run hides while the workers keep
                                  up
  gpu, amp, channels_last, cudnn_benchmark, pin_memory, persistent_workers,
  num_workers, batch_size, img_size, timed_iters, qc_pair_bands
                                  the settings the runs had, read back from
                                  the configs they dumped (1 = on;
                                  qc_pair_bands: FreDA reads the band cache
                                  score_static.py wrote)

On a GPU it then runs ``benchmarks/train_throughput.py --preset cpu256`` (the
demo detector, plain and QC, at 256 px, on the GPU) and prints its QC ratios
prefixed ``demo256_``: qc_over_plain, qc_over_plain_cpu,
qc_over_plain_worker_cpu, step_over_fwd_bwd, qc_step_over_fwd_bwd, qc_step_gap
(``--no-demo256`` skips it).

Without CUDA (or with --tiny) it runs a tiny mode: 32 px, batch 4, a handful of
iterations, fp32 (MMEngine's AmpOptimWrapper needs a GPU), and says that the
figures are NOT GPU figures.

    bash benchmarks/gpu_check.sh [--tiny] [--identities N]
        [--frames-per-video N] [--img-size S] [--batch-size B] [--epochs E]
        [--workers W] [--configs BASELINE QC] [--out DIR] [--no-demo256]
"""
import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = ('configs/baseline_effnet_ffpp.py', 'configs/qc_effnet_ffpp.py')
# identities, frames per video, image size, batch size (None: the config's),
# epochs (incl. the warm-up one), workers
GPU_RUN = dict(identities=64, frames_per_video=8, img_size=256,
               batch_size=None, epochs=3, workers=None)
TINY_RUN = dict(identities=5, frames_per_video=1, img_size=32, batch_size=4,
                epochs=2, workers=1)


def tool(*args):
    """Runs one of the repository's tools from a checkout; its output goes to
    stderr (stdout is the figures)."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))
    subprocess.run([sys.executable, *map(str, args)], cwd=REPO, env=env,
                   check=True, stdout=sys.stderr)


def make_data(root, args):
    workers = max(1, min(16, os.cpu_count() or 1))
    tool('tools/data/make_demo_data.py', '--out', root, '--num-identities',
         args.identities, '--frames-per-video', args.frames_per_video,
         '--size', args.img_size, '--workers', workers)
    ann = root / 'annotations'
    tool('tools/quality/score_static.py', ann / 'train.json', '--out',
         ann / 'train_static.json', '--backend', 'ssim', '--workers', workers,
         '--no-progress')


def train_options(config, data_root, args, gpu):
    """--cfg-options for tools/train.py: the config as a user runs it, on the
    generated data, for a few epochs."""
    loader = Config.fromfile(str(REPO / config)).train_dataloader
    resize = next(i for i, t in enumerate(loader.dataset.pipeline)
                  if t['type'] == 'Resize')
    opts = {
        'model.backbone.init_cfg': 'None',  # no download of ImageNet weights
        'train_dataloader.dataset.data_root': data_root,
        f'train_dataloader.dataset.pipeline.{resize}.scale':
        f'({args.img_size},{args.img_size})',
        # every timed step has batch_size images
        '+train_dataloader.drop_last': 'True',
        'train_cfg.max_epochs': args.epochs,
        'default_hooks.checkpoint': 'None',
        # one scalars.json record per iteration, not a 10-iteration mean
        'default_hooks.logger.interval': 1,
        '+log_processor.window_size': 1,
    }
    if args.batch_size is not None:
        opts['train_dataloader.batch_size'] = args.batch_size
    if args.workers is not None:
        opts['train_dataloader.num_workers'] = args.workers
        opts['train_dataloader.persistent_workers'] = args.workers > 0
    if not gpu:
        # AmpOptimWrapper refuses to build without a GPU
        opts['optim_wrapper.type'] = 'OptimWrapper'
    return [f'{k}={v}' for k, v in opts.items()]


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train(config, data_root, work_dir, args, gpu):
    """One tools/train.py run; returns its per-iteration records, the config it
    dumped and the CPU seconds of the run (the process and its reaped
    DataLoader workers)."""
    cpu = children_cpu_seconds()
    tool('tools/train.py', config, '--work-dir', work_dir, '--no-validate',
         '--cfg-options', *train_options(config, data_root, args, gpu))
    cpu = children_cpu_seconds() - cpu
    # the newest run in work_dir
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))[-1]
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    cfg = Config.fromfile(str(work_dir / Path(config).name))
    return [r for r in records if 'time' in r], cfg, cpu


DEMO256 = ('qc_over_plain', 'qc_over_plain_cpu', 'qc_over_plain_worker_cpu',
           'step_over_fwd_bwd', 'qc_step_over_fwd_bwd', 'qc_step_gap',
           'plain_worker_cpu_ms_per_image', 'qc_worker_cpu_ms_per_image')


def demo256():
    """benchmarks.train_throughput --preset cpu256 (here on the GPU): its QC
    ratios."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))
    proc = subprocess.run(
        [sys.executable, '-m', 'benchmarks.train_throughput',
         '--preset', 'cpu256'],
        cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True)
    values = dict(re.findall(r'^([a-z0-9_]+): (\S+)$', proc.stdout, re.M))
    return {
        f'demo256_{name}': float(values[name])
        for name in DEMO256 if name in values
    }


def figures(records, batch_size):
    """img/s and data-wait share of the iterations after the warm-up epoch;
    peak GPU memory over the run."""
    timed = [r for r in records if r['epoch'] > 1]
    if not timed:
        raise SystemExit(
            'no timed iterations: the warm-up epoch was the only one (raise '
            '--epochs or --identities)'
        )
    seconds = sum(r['time'] for r in timed)
    memory = [r['memory'] for r in records if 'memory' in r]
    return dict(img_per_s=batch_size * len(timed) / seconds,
                data_wait_share=sum(r['data_time'] for r in timed) / seconds,
                peak_gpu_mem_mib=max(memory) if memory else math.nan,
                timed_iters=len(timed))


def pair_bands_on(cfg):
    return int(
        any(
            h.get('type') == 'QualityScoreHook' and h.get('pair_bands')
            for h in cfg.get('custom_hooks', [])))


def settings(cfg, gpu):
    loader = cfg.train_dataloader
    amp = cfg.optim_wrapper.get('type') == 'AmpOptimWrapper'
    channels_last = cfg.model.data_preprocessor.get('channels_last')
    return dict(
        gpu=int(gpu), amp=int(amp), channels_last=int(bool(channels_last)),
        cudnn_benchmark=int(cfg.env_cfg.get('cudnn_benchmark', False)),
        pin_memory=int(loader.get('pin_memory', False)),
        persistent_workers=int(loader.get('persistent_workers', False)),
        num_workers=loader.num_workers, batch_size=loader.batch_size)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--tiny', action='store_true',
                   help='the tiny mode even with a GPU (what the test runs)')
    for name in GPU_RUN:
        p.add_argument(
            '--' + name.replace('_', '-'), type=int,
            help=f'default: {GPU_RUN[name]} on a GPU (None: the config\'s), '
            f'{TINY_RUN[name]} tiny')
    p.add_argument('--configs', nargs=2, metavar=('BASELINE', 'QC'),
                   default=list(CONFIGS))
    p.add_argument(
        '--out',
        help='keep data and work dirs here (default: a temporary folder)')
    p.add_argument(
        '--no-demo256', action='store_true',
        help='on a GPU, skip benchmarks.train_throughput --preset cpu256 '
        '(the demo256_ lines)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    gpu = torch.cuda.is_available()
    tiny = args.tiny or not gpu
    for name, value in (TINY_RUN if tiny else GPU_RUN).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if gpu:
        print(
            f'# device: {torch.cuda.get_device_name()}, torch '
            f'{torch.__version__}, CUDA {torch.version.cuda}'
        )
    if not gpu:
        print(
            '# NOT GPU figures: no CUDA device; CPU tiny mode '
            f'({args.img_size} px, fp32, '
            f'{args.epochs - 1} timed epoch(s)) only shows the check runs end '
            'to end'
        )
    elif tiny:
        print(
            '# NOT the GPU check: tiny mode (--tiny); its figures mean nothing'
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out).resolve() if args.out else Path(tmp)
        make_data(out / 'data', args)
        runs = {}
        for name, config in zip(('plain', 'qc'), args.configs):
            records, cfg, cpu = train(config, out / 'data', out / name, args,
                                      gpu)
            runs[name] = figures(records, cfg.train_dataloader.batch_size)
            # every epoch's steps, drop_last
            images = len(records) * cfg.train_dataloader.batch_size
            runs[name]['cpu_ms_per_image'] = 1000 * cpu / max(images, 1)
            runs[name]['pair_bands'] = pair_bands_on(cfg)
    lines = dict(
        settings(cfg, gpu), img_size=args.img_size,
        timed_iters=runs['plain']['timed_iters'],
        qc_pair_bands=runs['qc']['pair_bands'])
    for name in ('plain', 'qc'):
        lines[f'{name}_img_per_s'] = runs[name]['img_per_s']
    lines['qc_over_plain'] = (runs['qc']['img_per_s'] /
                              runs['plain']['img_per_s'])
    for key in ('data_wait_share', 'peak_gpu_mem_mib', 'cpu_ms_per_image'):
        for name in ('plain', 'qc'):
            lines[f'{name}_{key}'] = runs[name][key]
    lines['qc_over_plain_cpu'] = (runs['plain']['cpu_ms_per_image'] /
                                  runs['qc']['cpu_ms_per_image'])
    if gpu and not tiny and not args.no_demo256:
        lines.update(demo256())
    for name, value in lines.items():
        shown = f'{value:.4g}' if isinstance(value, float) else value
        print(f'{name}: {shown}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
