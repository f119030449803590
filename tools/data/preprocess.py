"""Raw deepfake videos -> aligned face crops, pairs and annotation files.

Writes qcdet annotation files and a DeepfakeBench JSON index (docs/data.md).

Example::

    python tools/data/preprocess.py --dataset ffpp \\
        --root /data/FaceForensics++ --out data/ffpp_c23 \\
        --splits /data/FaceForensics++/splits --workers 8

Writes ``--out/{crops,landmarks,masks,done}/``, ``--out/annotations/
{train,val,test}.json``, ``--out/deepfakebench/<Dataset>.json`` and
``--out/summary.json``. Re-running skips finished videos (resume).
``--landmarks`` adds dlib's 68 points (crop pixels) to every record.
"""
import argparse
import sys
from pathlib import Path

from qcdet.faces import DEFAULT_FACE_DETECTOR
from qcdet.offline.face_crops import (
    LAYOUTS,
    build_layout,
    format_summary,
    preprocess_dataset,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--dataset', required=True, choices=sorted(LAYOUTS),
                   help='raw layout of --root (see docs/data.md)')
    p.add_argument('--root', required=True, help='raw dataset folder')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--num-frames', type=int, default=32,
                   help='evenly spaced frames per video (default 32)')
    p.add_argument('--size', type=int, default=256,
                   help='crop side in pixels (default 256)')
    p.add_argument('--margin', type=float, default=1.3,
                   help='zoom-out of the ArcFace template (default 1.3)')
    p.add_argument('--detector', default=DEFAULT_FACE_DETECTOR,
                   choices=['cascade', 'dlib', 'retinaface'],
                   help='face detector (default: %(default)s, RetinaFace '
                   'with a full-resolution retry where it finds nothing)')
    p.add_argument('--workers', type=int, default=1,
                   help='worker processes (default 1)')
    p.add_argument('--compression', default='c23',
                   help='FF++/DFD compression folder (default c23)')
    p.add_argument('--splits', default=None,
                   help='FF++ only: folder with the official '
                   '{train,val,test}.json pair lists (default <root>/splits)')
    p.add_argument('--landmarks', action='store_true',
                   help="also store dlib's 68 facial landmarks of each crop, "
                   "in crop pixels, in its record as 'landmarks' (for "
                   'self-blended images; ~10 ms a frame)')
    p.add_argument('--no-progress', action='store_true',
                   help='no progress bar')
    args = p.parse_args(argv)
    if args.num_frames <= 0 or args.size <= 0 or args.margin <= 0:
        p.error('--num-frames, --size and --margin must be > 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    layout = build_layout(args.dataset, args.root,
                          compression=args.compression,
                          splits_dir=args.splits)
    if args.dataset == 'ffpp' and not layout.split_of:
        print(f'WARNING: no official FF++ split lists in '
              f'{args.splits or Path(args.root) / "splits"}: every video '
              'goes to train (see docs/data.md)', file=sys.stderr)
    summary = preprocess_dataset(
        layout, args.out, num_frames=args.num_frames, size=args.size,
        margin=args.margin, detector=args.detector, workers=args.workers,
        progress=not args.no_progress, landmarks=args.landmarks)
    print(format_summary(summary))
    print(f'summary: {Path(args.out) / "summary.json"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
