"""Write the static quality score (identity similarity of each fake to its
paired real) into a new annotation file.

    python tools/quality/score_static.py data/demo/annotations/train.json \
        --out data/demo/annotations/train_static.json --backend ssim

See docs/quality_static.md.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qcdet.quality.static_scoring import (evaluator_config,  # noqa: E402
                                          format_report, score_annotation)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_in', help='MMEngine-format annotation file')
    parser.add_argument('--out', required=True,
                        help='new annotation file to write')
    parser.add_argument('--backend', default='dlib',
                        choices=['dlib', 'onnx', 'ssim'],
                        help='dlib/onnx: identity similarity of the faces; '
                        'ssim: SSIM of the whole frames (no faces needed)')
    parser.add_argument('--model', help='local model file (required for '
                        'onnx: an ArcFace-style .onnx; optional for dlib)')
    parser.add_argument('--detector', default='hog',
                        choices=['hog', 'retinaface'],
                        help='face detector of the dlib/onnx backends')
    parser.add_argument('--detector-scale', type=float, default=1.0,
                        help='resize frames by this before face detection '
                        '(e.g. 0.5 on 720p for speed)')
    parser.add_argument('--detector-max-side', type=int,
                        help='also shrink frames before face detection so '
                        'the longest side is at most this')
    parser.add_argument('--workers', type=int, default=1,
                        help='parallel processes')
    parser.add_argument('--data-root', help='root of img_path/pair_path '
                        '(default: the annotation file\'s folder, or its '
                        'parent when that folder is "annotations")')
    parser.add_argument('--fallback', type=float,
                        help='constant score for fakes without a usable pair '
                        '(default: median of all scored fakes, whatever '
                        'their method; 0.5 if none)')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.backend == 'onnx' and not args.model:
        sys.exit('--backend onnx needs --model PATH (a local .onnx file)')
    if args.fallback is not None and not 0.0 <= args.fallback <= 1.0:
        sys.exit(f'--fallback must be in [0, 1], got {args.fallback}')
    detector_cfg = {}
    if args.detector_scale != 1.0:
        detector_cfg['scale'] = args.detector_scale
    if args.detector_max_side:
        detector_cfg['max_side'] = args.detector_max_side
    cfg = evaluator_config(args.backend, args.model, args.detector,
                           detector_cfg)
    report = score_annotation(args.ann_in, args.out, cfg,
                              data_root=args.data_root, workers=args.workers,
                              fallback=args.fallback,
                              progress=not args.no_progress)
    print(format_report(report))


if __name__ == '__main__':
    main()
