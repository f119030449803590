"""Generate qcdet's embedded synthetic demo dataset (procedural faces and
forgery families).

Example::

    # benchmark v2 (default)
    python tools/data/make_demo_data.py --out data/demo --seed 0
    # fine forgery traces only
    python tools/data/make_demo_data.py --out data/demo_v1 --benchmark v1
    # shortcuts over a shared trace, and its oracle twin (no shortcuts)
    python tools/data/make_demo_data.py --out data/demo_v3 --benchmark v3
    python tools/data/make_demo_data.py --out data/demo_v3_oracle \
        --benchmark v3 --without-shortcuts
"""
import argparse
import sys

from qcdet.offline.synthetic_data import (
    BENCHMARKS,
    format_summary,
    generate_demo_dataset,
)

# every benchmark's family names (v1 and v2 share theirs), in order
ALL_FAMILIES = list(
    dict.fromkeys(name for families in BENCHMARKS.values()
                  for name in families))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=' '.join(__doc__.split('\n\n')[0].split()))
    parser.add_argument('--out', default='data/demo',
                        help='output directory (default: data/demo)')
    parser.add_argument('--seed', type=int, default=0,
                        help='random seed; same seed, same bytes')
    parser.add_argument('--num-identities', type=int, default=100,
                        help='identities (60/20/20 %% split)')
    parser.add_argument('--videos-per-identity', type=int, default=1,
                        help='real videos per identity')
    parser.add_argument('--frames-per-video', type=int, default=8,
                        help='frames per video')
    parser.add_argument('--size', type=int, default=64,
                        help='image side in pixels')
    parser.add_argument('--families', nargs='+', default=None,
                        choices=ALL_FAMILIES,
                        help='forgery families to generate (default: all '
                        "of the benchmark's)")
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes')
    parser.add_argument('--benchmark', default='v2',
                        choices=list(BENCHMARKS),
                        help='v2 (default): fine traces plus coarse '
                        'colour/shape/seam cues; v1: fine traces only; v3: '
                        'family-specific low-frequency shortcuts over a '
                        'shared weak trace, JPEG on every frame '
                        '(docs/demo_data.md)')
    parser.add_argument('--without-shortcuts', action='store_true',
                        help='v3 only: the oracle dataset, the same bytes '
                        "except that every family's shortcut is zeroed")
    args = parser.parse_args(argv)
    if args.without_shortcuts and args.benchmark != 'v3':
        parser.error('--without-shortcuts needs --benchmark v3')
    return args


def main(argv=None):
    args = parse_args(argv)
    summary = generate_demo_dataset(
        args.out, seed=args.seed, num_identities=args.num_identities,
        videos_per_identity=args.videos_per_identity,
        frames_per_video=args.frames_per_video, size=args.size,
        families=args.families, workers=args.workers, benchmark=args.benchmark,
        without_shortcuts=args.without_shortcuts)
    print(format_summary(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
