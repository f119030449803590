"""Write the static quality score (identity similarity, or SSIM, of each
fake to its paired real) into a new annotation file.

    python tools/quality/score_static.py data/ffpp_c23/annotations/train.json \
        --out data/ffpp_c23/annotations/train_static.json

By default faces are compared with the paper's ArcFace model, downloaded on
first use into the model cache; where it is neither cached nor downloadable,
with dlib's recogniser (a warning says so).

It also writes the FreDA band cache of the fakes' pairs beside OUT
(``OUT_STEM.pair_bands.npy`` and ``.json``): each real's low frequencies,
which FreDA then reads instead of decoding the pair (qcdet.datasets.
pair_bands; QualityScoreHook(pair_bands='auto') uses it, and rebuilds it
when it is missing or stale). ``--no-pair-bands`` skips it.

A progress bar is drawn only on a terminal: a log file or pipe gets the
final report and no bar updates.

See docs/quality_static.md.
"""
import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_in', help='MMEngine-format annotation file')
    parser.add_argument('--out', required=True,
                        help='new annotation file to write')
    parser.add_argument('--backend', default='auto',
                        choices=['auto', 'arcface', 'dlib', 'onnx', 'ssim'],
                        help='arcface/dlib/onnx: identity similarity of the '
                        'faces (arcface: the published ArcFace model, '
                        'downloaded on first use; onnx: your own '
                        'ArcFace-style model); ssim: SSIM of the whole '
                        'frames (no faces needed); auto (default): arcface '
                        'where available, else dlib')
    parser.add_argument('--model', help='local model file (required for '
                        'onnx: an ArcFace-style .onnx; optional for arcface '
                        'and dlib)')
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
    parser.add_argument('--no-pair-bands', action='store_true',
                        help='do not write the FreDA band cache of the '
                        'pairs beside --out (training then reads the pairs, '
                        'or QualityScoreHook builds the cache itself)')
    parser.add_argument('--band-radius', type=float,
                        help='Nyquist radius the band cache holds (default '
                        '0.125; every shipped config asks for 0.1)')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar, even on a terminal (a file '
                        'or pipe never gets one)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.backend == 'onnx' and not args.model:
        sys.exit('--backend onnx needs --model PATH (a local .onnx file)')
    if args.backend == 'auto' and args.model:
        sys.exit('--model needs an explicit --backend (arcface, dlib or '
                 'onnx)')
    if args.fallback is not None and not 0.0 <= args.fallback <= 1.0:
        sys.exit(f'--fallback must be in [0, 1], got {args.fallback}')
    if args.band_radius is not None and not 0.0 < args.band_radius <= 1.5:
        sys.exit(f'--band-radius must be in (0, 1.5], got {args.band_radius}')
    from qcdet.faces.embedders import fetch_arcface_model
    from qcdet.offline.static_quality import (
        choose_static_backend,
        evaluator_config,
        format_report,
        score_annotation,
    )
    from qcdet.utils import ModelFileUnavailable
    detector_cfg = {}
    if args.detector_scale != 1.0:
        detector_cfg['scale'] = args.detector_scale
    if args.detector_max_side:
        detector_cfg['max_side'] = args.detector_max_side
    backend, arcface_missing = choose_static_backend(args.backend)
    if arcface_missing:
        print(f'WARNING: the ArcFace model is not available, scoring with '
              f'dlib instead.\n{arcface_missing}', file=sys.stderr)
    if backend == 'arcface' and not args.model:
        try:  # fetched before the workers start, so they find it cached
            fetch_arcface_model()
        except ModelFileUnavailable as e:
            sys.exit(f'ERROR: {e}')
    cfg = evaluator_config(backend, args.model, args.detector, detector_cfg)
    report = score_annotation(args.ann_in, args.out, cfg,
                              data_root=args.data_root, workers=args.workers,
                              fallback=args.fallback,
                              progress=not args.no_progress)
    print(format_report(report))
    if not args.no_pair_bands:
        from qcdet.datasets.pair_bands import (
            DEFAULT_BAND_RADIUS,
            write_annotation_bands,
        )
        radius = args.band_radius or DEFAULT_BAND_RADIUS
        cache = write_annotation_bands(args.out, report['data_root'], radius,
                                       progress=not args.no_progress)
        unreadable = len(cache.meta['unreadable'])
        print(f'FreDA band cache {cache.prefix}.npy/.json: '
              f'{len(cache.frames)} real frames, radius {cache.radius}, '
              f'{cache.values.nbytes / 2**20:.1f} MiB' +
              (f' ({unreadable} pairs missing or unreadable: none stored)'
               if unreadable else ''))


if __name__ == '__main__':
    main()
