"""Per-stage profile of what quality-centric (QC) training adds to plain
training: the DataLoader worker's path (pair read and decode, resize, mask,
FFTs, rounding, Python overhead; FreDA from the band cache against FreDA from
the decoded pair) and the training process's side (the sampler's plan,
QualityScoreHook per iteration and per epoch), on generated demo data.

Worker side: one process, one thread, seeded as a DataLoader worker is
(``seeded_rng`` without restoring the caller's RNG state), the cases
alternating in ``--rounds`` rounds, medians. Prints ``name: value`` lines:

  plain_ms_per_image          the plain config's pipeline (dataset[i]:
                              LoadFrame, FreqAugment passing through, Resize,
                              RandomFlip, pack) per train image
  qc_ms_per_image             the QC config's pipeline on a QC epoch plan's
                              (index, easy, seed) items, FreDA from the band
                              cache (the shipped default)
  qc_pairs_ms_per_image       the same reading the pairs (no band cache)
  qc_over_plain_worker, qc_pairs_over_plain_worker
                              the ratios (target of the first: <= 1.15)
  easy_fraction               share of the plan's items that go through FreDA
  transform_<name>_us         per image, each pipeline step (plain run; e.g.
                              transform_load_frame_us), and
                              getitem_overhead_us: the rest of dataset[i] (data
                              info copy, Compose, seeding)
  seed_us                     the per-sample seeding a QC item adds
  pair_read_us, pair_decode_us, pair_resize_us, mask_us, to_float_us, ffts_us,
  spectrum_arith_us, rounding_us, pair_python_us, freda_pairs_us
                              FreDA from the pair, one fake, by stage
                              (pair_resize_us: what resizing a pair of another
                              size would cost; 0 is paid when sizes match, as
                              in the demo); python: the transform's total minus
                              its stages
  band_read_us, band_mask_us, band_forward_us, band_diff_us, band_inverse_us,
  band_rounding_us, band_python_us, freda_band_us
                              FreDA from the band cache, by stage
  fft_us                      rfft2 + irfft2 of the fake as float: one plain
                              FFT round trip

Training-process side (ms): ``sampler_plan_ms`` (QualityCurriculumSampler: plan
and the epoch's item list) and ``default_sampler_ms`` (DefaultSampler's list)
per epoch; ``hook_iter_ms`` (QualityScoreHook.after_train_iter on a batch's
feedback) per iteration; ``hook_epoch_ms`` (before_train_epoch +
after_train_epoch: FQS, sampler update, summary, log, epoch file) per epoch;
``fwd_bwd_ms_per_iter`` (the bare model step, for scale) and
``main_overhead_share``: (sampler + hook) time of an epoch / the epoch's bare
steps (target: < 0.01 together with what else QC adds to a step).

    python -m benchmarks.qc_profile [--img-size 64] [--identities 20]
        [--rounds 5] [--repeats 200]
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from mmengine import fileio
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import qcdet.datasets.deepfake_dataset as deepfake_dataset
from benchmarks.timed_training import (
    REPO,
    build_cfg,
    fwd_bwd_img_per_s,
    make_data,
    preload_batches,
)
from benchmarks.timing import interleaved, one_thread
from qcdet.datasets.pair_bands import attach_pair_bands
from qcdet.datasets.transforms.freq_augment import FreqAugment
from qcdet.datasets.transforms.loading import read_image
from qcdet.utils.freda import (
    BandKernels,
    MaskCache,
    _mm,
    freda_from_band,
    mask_args,
)
from qcdet.utils.seeding import seeded_rng


def build(config, root, work, args, name):
    run_args = argparse.Namespace(epochs=2, workers=0, img_size=args.img_size,
                                  cfg_options=None)
    cfg = build_cfg(REPO / config, root, work, run_args, name)
    runner = Runner.from_cfg(cfg)
    runner.train_loop  # builds the loop, the train dataloader and its sampler
    return runner


class Timed:
    """A pipeline step that adds its time per class to ``totals``."""

    def __init__(self, transform, totals):
        self.transform, self.totals = transform, totals
        self.name = type(transform).__name__

    def __call__(self, results):
        start = time.perf_counter()
        try:
            return self.transform(results)
        finally:
            self.totals[self.name] = self.totals.get(
                self.name, 0.0) + time.perf_counter() - start


def worker_cases(plain_ds, qc_ds, qc_pairs_ds, items):
    plain_idx = list(range(len(plain_ds)))

    def epoch(ds, idx):
        return lambda: [ds[i] for i in idx]

    return dict(
        plain=epoch(plain_ds, plain_idx), qc=epoch(qc_ds, items),
        qc_pairs=epoch(qc_pairs_ds, items))


def pair_stage_cases(transform, fake, pair_path):
    """FreDA from the decoded pair, stage by stage, as ``FreqAugment`` +
    ``qcdet.utils.freda.freda_image`` run it."""
    data = fileio.get(pair_path)
    real = read_image(pair_path)
    height, width = fake.shape[:2]
    masks = MaskCache()
    settings = transform._settings()
    mask = masks.get(height, width, **mask_args(settings, height, width))
    fake_t, real_t = torch.from_numpy(fake), torch.from_numpy(real)
    mixed = fake_t.to(torch.float32, copy=True)
    diff = (real_t.to(torch.float32) - mixed).permute(2, 0, 1)
    ncols = mask.shape[-1]
    spec = torch.fft.rfft(diff, dim=-1)[..., :ncols]
    spec2 = torch.fft.fft(spec, dim=-2)
    full = spec2.new_zeros(spec2.shape[:-1] + (width // 2 + 1, ))
    low = torch.fft.irfft(full, n=width, dim=-1).permute(1, 2, 0)
    small = cv2.resize(real, (width // 2, height // 2))

    def to_float():
        m = fake_t.to(torch.float32, copy=True)
        return real_t.to(torch.float32) - m

    def ffts():
        s = torch.fft.fft(torch.fft.rfft(diff, dim=-1)[..., :ncols], dim=-2)
        torch.fft.irfft(torch.fft.ifft(s, dim=-2), n=width, dim=-1)

    def arith():
        s = spec2 * mask
        f = s.new_zeros(s.shape[:-1] + (width // 2 + 1, ))
        f[..., :ncols] = s
        return mixed + low

    def rounding():
        return (mixed + low).round_().clamp_(0, 255).to(torch.uint8).numpy()

    results = dict(img=fake, label=1, qc_easy=True, pair_path=pair_path,
                   img_path='fake')
    return dict(
        pair_read=lambda: fileio.get(pair_path),
        pair_decode=lambda: cv2.imdecode(
            np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
        pair_resize=lambda: cv2.resize(small, (width, height),
                                       interpolation=cv2.INTER_LINEAR),
        mask=lambda: masks.get(
            height, width, **mask_args(transform._settings(), height, width)),
        to_float=to_float, ffts=ffts, spectrum_arith=arith, rounding=rounding,
        freda_pairs=lambda: transform.transform(dict(results)))


def band_stage_cases(transform, fake, pair_path):
    """FreDA from the band cache, stage by stage, as
    ``FreqAugment._mix_from_band`` + ``qcdet.utils.freda.freda_from_band`` run
    it."""
    cache, entries = transform._pair_bands
    entry = entries[pair_path]
    height, width, channels, a = entry[1:5]
    kernels = BandKernels()
    settings = transform._settings()
    mask, b, k = kernels.mask(height, width,
                              **mask_args(settings, height, width))
    a_fwd, b_fwd, b_inv, a_inv = ops = kernels.ops(height, width, b, k)
    band = cache.block(entry)[a - b:a + b + 1, :, :, :k]
    rows = 2 * b + 1
    flat = fake.reshape(height, width * channels)
    image = flat.astype(np.float32)
    spectrum = _mm(
        np.ascontiguousarray(
            (_mm(a_fwd, image).reshape(2, rows, width, channels)).transpose(
                1, 3, 0, 2)).reshape(rows * channels, 2 * width),
        b_fwd).reshape(rows, channels, 2, k)
    diff = ((band - spectrum) * mask).reshape(rows * channels, 2 * k)
    low = freda_from_band(fake, band, mask, ops).astype(np.float32).reshape(
        height, width * channels) - image

    def forward():
        img = flat.astype(np.float32)
        y = _mm(a_fwd, img).reshape(2, rows, width, channels)
        y = np.ascontiguousarray(y.transpose(1, 3, 0, 2)).reshape(
            rows * channels, 2 * width)
        return _mm(y, b_fwd)

    def difference():
        d = band - spectrum
        d *= mask
        return d

    def inverse():
        e = _mm(diff, b_inv)
        e = e.reshape(rows, channels, 2, width).transpose(2, 0, 3, 1)
        e = np.ascontiguousarray(e).reshape(2 * rows, width * channels)
        return _mm(a_inv, e)

    def fft():
        x = torch.from_numpy(fake).permute(2, 0, 1).float()
        torch.fft.irfft2(torch.fft.rfft2(x), s=(height, width))

    results = dict(img=fake, label=1, qc_easy=True, pair_path=pair_path,
                   img_path='fake')
    return dict(
        band_read=lambda: cache.block(entry)[a - b:a + b + 1, :, :, :k],
        band_mask=lambda: (
            kernels.mask(height, width,
                         **mask_args(transform._settings(), height, width)),
            kernels.ops(height, width, b, k)),
        band_forward=forward, band_diff=difference, band_inverse=inverse,
        band_rounding=lambda: cv2.add(flat, low, dtype=cv2.CV_8U),
        freda_band=lambda: transform.transform(dict(results)), fft=fft)


def main_process_side(runner, epochs, probe_iters):
    """Times the sampler and QualityScoreHook as the Runner calls them, on
    synthetic per-sample feedback."""
    from mmengine.dataset import DefaultSampler
    loader = runner.train_dataloader
    dataset, sampler, batch = loader.dataset, loader.sampler, loader.batch_size
    hook = next(
        h for h in runner.hooks if type(h).__name__ == 'QualityScoreHook')
    hook.before_run(runner)
    model = runner.model
    labels = dataset.get_labels()
    default = DefaultSampler(dataset, shuffle=True, seed=0)
    rng = np.random.default_rng(0)
    plan_s, default_s, iter_s, epoch_s, iters = [], [], [], [], 0
    for epoch in range(epochs):
        runner.train_loop._epoch = epoch
        sampler.set_epoch(epoch)
        default.set_epoch(epoch)
        start = time.perf_counter()
        hook.before_train_epoch(runner)
        epoch_time = time.perf_counter() - start
        start = time.perf_counter()
        items = list(iter(sampler))
        plan_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        list(iter(default))
        default_s.append(time.perf_counter() - start)
        for i in range(0, len(items), batch):
            chunk = items[i:i + batch]
            idx = torch.tensor([c[0] for c in chunk])
            model.train_feedback = dict(
                sample_idx=idx, fake_prob=torch.from_numpy(
                    rng.random(len(chunk)).astype(np.float32)),
                loss=torch.from_numpy(
                    rng.random(len(chunk)).astype(np.float32)),
                label=torch.from_numpy(labels[idx.numpy()]),
                freda=torch.tensor([bool(c[1]) for c in chunk]))
            start = time.perf_counter()
            hook.after_train_iter(runner, i // batch)
            iter_s.append(time.perf_counter() - start)
            iters += 1
        start = time.perf_counter()
        hook.after_train_epoch(runner)
        epoch_s.append(epoch_time + time.perf_counter() - start)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    batches = preload_batches(runner, 2)
    img_per_s, _ = fwd_bwd_img_per_s(runner, batches, probe_iters)
    med = statistics.median
    out = dict(sampler_plan_ms=1000 * med(plan_s),
               default_sampler_ms=1000 * med(default_s),
               hook_iter_ms=1000 * med(iter_s),
               hook_epoch_ms=1000 * med(epoch_s),
               fwd_bwd_ms_per_iter=1000 * batch / img_per_s)
    per_epoch = len(loader)
    extra = (out['sampler_plan_ms'] - out['default_sampler_ms'] +
             out['hook_iter_ms'] * per_epoch + out['hook_epoch_ms'])
    out['main_overhead_share'] = extra / (
        out['fwd_bwd_ms_per_iter'] * per_epoch)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--img-size', type=int, default=64,
                        help='generated frame size and network input size')
    parser.add_argument('--identities', type=int, default=20,
                        help='demo identities (40 frames each)')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=200,
                        help='calls per stage per round')
    parser.add_argument('--epochs', type=int, default=3,
                        help='epochs of the main-process timing')
    parser.add_argument('--probe-iters', type=int, default=10,
                        help='bare model steps timed for scale')
    args = parser.parse_args(argv)
    one_thread()
    init_default_scope('qcdet')
    # as in a DataLoader worker: seeded_rng does not restore the caller's RNG
    # state
    deepfake_dataset.get_worker_info = lambda: True
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_data(tmp / 'demo', args.identities, args.img_size)
        plain = build('configs/baseline_demo.py', tmp / 'demo', tmp / 'plain',
                      args, 'plain')
        qc = build('configs/qc_demo.py', tmp / 'demo', tmp / 'qc', args, 'qc')
        qc_pairs = build('configs/qc_demo.py', tmp / 'demo', tmp / 'qc_pairs',
                         args, 'qc_pairs')
        qc_ds = qc.train_dataloader.dataset
        qc_pairs_ds = qc_pairs.train_dataloader.dataset
        attach_pair_bands(qc_ds, 'auto')
        sampler = qc.train_dataloader.sampler
        sampler.set_max_epochs(12)
        labels = qc_ds.get_labels()
        sampler.set_scores(
            np.where(labels == 1,
                     np.random.default_rng(0).random(len(labels)), np.nan))
        items = list(iter(sampler))
        easy_fraction = float(np.mean([bool(e) for _, e, _ in items]))

        plain_ds = plain.train_dataloader.dataset
        totals = {}
        plain_ds.pipeline.transforms = [
            Timed(t, totals) for t in plain_ds.pipeline.transforms
        ]
        worker = interleaved(
            worker_cases(plain_ds, qc_ds, qc_pairs_ds, items), 1, args.rounds)
        steps = sum(totals.values()) / (len(plain_ds) * (args.rounds + 1))

        index = int(np.flatnonzero(labels == 1)[0])
        info = qc_ds.get_data_info(index)
        fake = read_image(info['img_path'])
        freda = next(
            t for t in qc_ds.pipeline.transforms if isinstance(t, FreqAugment))
        freda_pairs = next(
            t for t in qc_pairs_ds.pipeline.transforms
            if isinstance(t, FreqAugment))
        cases = dict(seed=lambda: seeded_rng(1, restore=False).__enter__())
        cases.update(pair_stage_cases(freda_pairs, fake, info['pair_path']))
        cases.update(band_stage_cases(freda, fake, info['pair_path']))
        seconds = interleaved(cases, args.repeats, args.rounds)
        us = {name: 1e6 * s for name, s in seconds.items()}
        main_side = main_process_side(qc, args.epochs, args.probe_iters)

    n = len(plain_ds)
    out = dict(img_size=args.img_size, images=n, easy_fraction=easy_fraction,
               plain_ms_per_image=1000 * worker['plain'] / n,
               qc_ms_per_image=1000 * worker['qc'] / len(items),
               qc_pairs_ms_per_image=1000 * worker['qc_pairs'] / len(items))
    plain_ms = out['plain_ms_per_image']
    out['qc_over_plain_worker'] = out['qc_ms_per_image'] / plain_ms
    out['qc_pairs_over_plain_worker'] = out['qc_pairs_ms_per_image'] / plain_ms
    # LoadFrame -> transform_load_frame_us
    for name, seconds in totals.items():
        snake = re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()
        out[f'transform_{snake}_us'] = 1e6 * seconds / (n * (args.rounds + 1))
    out['getitem_overhead_us'] = 1000 * out['plain_ms_per_image'] - 1e6 * steps
    pair_stages = ('pair_read', 'pair_decode', 'mask', 'to_float', 'ffts',
                   'spectrum_arith', 'rounding')
    band_stages = ('band_read', 'band_mask', 'band_forward', 'band_diff',
                   'band_inverse', 'band_rounding')
    for name in ('seed', 'pair_resize') + pair_stages:
        out[f'{name}_us'] = us[name]
    out['pair_python_us'] = us['freda_pairs'] - sum(us[s] for s in pair_stages)
    out['freda_pairs_us'] = us['freda_pairs']
    for name in band_stages:
        out[f'{name}_us'] = us[name]
    out['band_python_us'] = us['freda_band'] - sum(us[s] for s in band_stages)
    out['freda_band_us'] = us['freda_band']
    out['fft_us'] = us['fft']
    out.update(main_side)
    for name, value in out.items():
        shown = f'{value:.4g}' if isinstance(value, float) else value
        print(f'{name}: {shown}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
