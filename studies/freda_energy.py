"""How much of a fake's difference from its paired real does FreDA remove?

FreDA gives a fake its real's low frequencies, so on a pixel-aligned pair it
removes exactly the low-frequency part of ``fake - real``. Per synthetic family
and quality tercile (q < 1/3, < 2/3, rest), and per FF++ c23 method
(../shared/data, skipped where absent), this prints the share of the difference
energy FreDA removes::

    share = 1 - sum ||freda(fake, real) - real||^2 / sum ||fake - real||^2

pooled over the group's frames, with qcdet's FreDA (``qcdet.utils.freda``: the
mix, then rounded and clipped as ``FreqAugment`` does for uint8 images). Real
low-quality deepfakes differ from their source mostly in low frequencies;
benchmark v2 of the synthetic data is calibrated so that its low tercile does
too.

Ends with ``name: value`` lines (``v2_blend_swap_low_share``,
``ffpp_Deepfakes_share``, ``v2_low_in_real_range``).

    python -m studies.freda_energy [--benchmark v1 v2] [--size 64]
        [--num-identities 40] [--radius 0.1]
"""
import argparse
import functools
import os.path as osp
import sys

import cv2
import numpy as np
import torch

from qcdet.datasets.annotation_file import load_annotation
from qcdet.offline.synthetic_data import BENCHMARKS, generate_demo_dataset
from qcdet.utils.freda import freda_mask, freda_mix, to_pixel_range
from studies.paths import SHARED_DATA

TERCILES = ('low', 'mid', 'high')
#: calibration target of benchmark v2's low-quality tercile (the range real
#: FF++ methods span at 256 px)
REAL_RANGE = (0.35, 0.85)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--benchmark', nargs='+', default=list(BENCHMARKS),
                        choices=BENCHMARKS)
    parser.add_argument('--size', type=int, default=64,
                        help='synthetic image side in pixels')
    parser.add_argument('--num-identities', type=int, default=40)
    parser.add_argument('--frames-per-video', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--radius', type=float, default=0.1,
                        help='FreDA circle radius (fraction of Nyquist)')
    parser.add_argument('--out', default='work_dirs/freda_energy',
                        help='where the data are generated / cropped')
    parser.add_argument('--shared', default=SHARED_DATA)
    parser.add_argument('--ffpp-frames', type=int, default=8,
                        help='frames cropped per FF++ video (256 px)')
    parser.add_argument('--skip-ffpp', action='store_true',
                        help='synthetic part only')
    parser.add_argument('--workers', type=int, default=1)
    return parser.parse_args(argv)


@functools.lru_cache(maxsize=8)
def circle_mask(height: int, width: int, radius: float) -> np.ndarray:
    """FreDA's mask, built once per image size."""
    return freda_mask(height, width, radius, 'circle')


def energy_terms(fake: np.ndarray, real: np.ndarray, radius: float) -> tuple:
    """``(||fake - real||^2, ||freda(fake, real) - real||^2)`` of one aligned
    uint8 pair."""
    mask = circle_mask(fake.shape[0], fake.shape[1], radius)
    mixed = to_pixel_range(
        torch.from_numpy(freda_mix(fake, real, mask)), integer=True).numpy()
    real = real.astype(np.float64)
    return float(((fake - real)**2).sum()), float(((mixed - real)**2).sum())


def share(terms) -> float:
    """Pooled share of the difference energy removed, from ``energy_terms`` of
    several pairs."""
    before, after = np.sum(terms, axis=0) if len(terms) else (0., 0.)
    return 1. - after / before if before > 0 else float('nan')


def tercile(q: float) -> str:
    return TERCILES[min(int(q * 3), 2)]


def pair_shares(root: str, records, group, radius: float) -> dict:
    """Share per group of paired fakes (``group(record)`` gives a fake's
    group)."""
    terms = {}
    for record in records:
        if record['label'] != 1 or not record.get('pair_path'):
            continue
        key = group(record)
        fake = cv2.imread(osp.join(root, record['img_path']))
        real = cv2.imread(osp.join(root, record['pair_path']))
        terms.setdefault(key, []).append(energy_terms(fake, real, radius))
    return {key: (share(t), len(t)) for key, t in sorted(terms.items())}


def read_records(ann_files) -> list:
    return [
        record for path in ann_files
        for record in load_annotation(path)['data_list']
    ]


def synthetic_shares(args, benchmark: str) -> dict:
    """``{(family, tercile): (share, frames)}`` over every split of a freshly
    generated demo set."""
    root = osp.join(args.out, f'synthetic_{benchmark}_{args.size}px')
    summary = generate_demo_dataset(
        root, seed=args.seed, num_identities=args.num_identities,
        frames_per_video=args.frames_per_video, size=args.size,
        workers=args.workers, benchmark=benchmark)
    records = read_records(summary['annotation_files'].values())
    return pair_shares(root, records, lambda r:
                       (r['method'], tercile(r['true_quality'])), args.radius)


def ffpp_shares(args) -> dict:
    """``{method: (share, frames)}`` over the FF++ c23 sample clips, cropped at
    256 px like tools/data/preprocess.py does (a fake is cropped with its
    real's box, so the pair is aligned)."""
    # brings in the training stack: only when FF++ is there
    from studies.annotations import crop_ffpp
    pooled = crop_ffpp(args.shared,
                       osp.join(args.out, f'ffpp_{args.ffpp_frames}f'),
                       args.ffpp_frames, 256)
    fakes = [r for r in read_records([pooled]) if r['label'] == 1]
    unpaired = sorted({r['method']
                       for r in fakes} -
                      {r['method']
                       for r in fakes if r.get('pair_path')})
    if unpaired:
        print(
            f'left out (no paired real in the sample): {", ".join(unpaired)}')
    return pair_shares(
        osp.dirname(osp.dirname(pooled)), fakes, lambda r: r['method'],
        args.radius)


def main(argv=None):
    args = parse_args(argv)
    cv2.setNumThreads(1)
    lines = {}
    low_shares = {}
    for benchmark in args.benchmark:
        shares = synthetic_shares(args, benchmark)
        families = sorted({family for family, _ in shares})
        print(
            f'\nSynthetic {benchmark}, {args.size} px: share of the fake-real '
            'difference energy FreDA '
            f'(circle, radius {args.radius}) removes, per quality tercile '
            '(frames)'
        )
        print(f"{'family':15s}" + ''.join(f'{f"{t} q":>16s}'
                                          for t in TERCILES))
        for family in families:
            cells = [
                shares.get((family, t), (float('nan'), 0)) for t in TERCILES
            ]
            print(f'{family:15s}' + ''.join(f'{s:10.3f} ({n:3d})'
                                            for s, n in cells))
            for t, (s, _) in zip(TERCILES, cells):
                lines[f'{benchmark}_{family}_{t}_share'] = f'{s:.3f}'
        low_shares[benchmark] = [
            shares[(f, 'low')][0] for f in families if (f, 'low') in shares
        ]

    ffpp_root = osp.join(args.shared, 'icpr2020dfdc', 'ffpp')
    if args.skip_ffpp:
        print('\nFF++ part skipped (--skip-ffpp)')
    elif osp.isdir(ffpp_root):
        print(
            '\nFF++ c23 sample clips, 256 px crops: share FreDA (circle, '
            f'radius {args.radius}) removes (frames)'
        )
        shares = ffpp_shares(args)
        for method, (s, n) in shares.items():
            print(f'{method:15s}{s:10.3f} ({n:3d})')
            lines[f'ffpp_{method}_share'] = f'{s:.3f}'
        if not shares:
            print('  no paired FF++ fakes were cropped')
    else:
        print(f'\nFF++ clips absent ({ffpp_root}): real-data part skipped')
    for benchmark, values in low_shares.items():
        inside = bool(values) and all(REAL_RANGE[0] <= s <= REAL_RANGE[1]
                                      for s in values)
        lines[f'{benchmark}_low_in_real_range'] = str(inside).lower()
    print()
    for name, value in lines.items():
        print(f'{name}: {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
