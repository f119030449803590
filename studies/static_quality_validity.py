"""Do the static quality evaluators measure forgery quality?

1. Synthetic: Spearman rho between each evaluator's score and the generator's
   true quality knob, within each forgery family (fakes the evaluator could not
   score -- e.g. no face found -- are left out and counted).
2. Real FF++ clips (../shared/data, skipped where absent): each evaluator's
   mean similarity per method.

Backends: ssim and dlib always; onnx (ArcFace) only with ``--onnx-model PATH``
-- no ArcFace weights ship offline, and a randomly initialised network's
similarities mean nothing.

Ends with ``name: value`` lines: ``spearman_<backend>_<family>``,
``spearman_<backend>_mean``, ``scored_<backend>`` (fraction of synthetic fakes
scored), ``ffpp_<backend>_<method>``.

    python -m studies.static_quality_validity [--onnx-model arcface.onnx]
        [--size 128]
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
from scipy.stats import spearmanr

from qcdet.offline.static_quality import evaluator_config, score_annotation
from qcdet.offline.synthetic_data import generate_demo_dataset
from studies.annotations import crop_ffpp
from studies.paths import SHARED_DATA


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='work_dirs/static_quality_validity')
    parser.add_argument('--shared', default=SHARED_DATA)
    parser.add_argument(
        '--onnx-model',
        help='a local ArcFace-style .onnx model (adds the onnx backend)')
    parser.add_argument('--num-identities', type=int, default=60)
    parser.add_argument('--frames-per-video', type=int, default=2)
    parser.add_argument('--size', type=int, default=128,
                        help='synthetic image side (dlib needs faces ≳ 80 px)')
    parser.add_argument('--ffpp-frames', type=int, default=8,
                        help='frames cropped per FF++ video')
    parser.add_argument('--workers', type=int, default=2)
    return parser.parse_args(argv)


def score(ann_in, ann_out, backend, args):
    cfg = evaluator_config(
        backend, model_path=args.onnx_model if backend == 'onnx' else None)
    if not osp.exists(ann_out):
        score_annotation(ann_in, ann_out, cfg, workers=args.workers,
                         progress=False)
    with open(ann_out) as f:
        return [r for r in json.load(f)['data_list'] if r['label'] == 1]


def main(argv=None):
    args = parse_args(argv)
    backends = ['ssim', 'dlib'] + (['onnx'] if args.onnx_model else [])
    lines = {}

    synth = osp.join(args.out, f'synthetic_{args.size}px')
    ann = osp.join(synth, 'annotations', 'train.json')
    if not osp.exists(ann):
        generate_demo_dataset(synth, seed=1,
                              num_identities=args.num_identities,
                              frames_per_video=args.frames_per_video,
                              size=args.size, workers=args.workers)
    print(
        f'Synthetic ({args.size} px, train split): Spearman rho of score vs '
        'true quality per family'
    )
    for backend in backends:
        fakes = score(ann,
                      osp.join(synth, 'annotations', f'train_{backend}.json'),
                      backend, args)
        scored = [r for r in fakes if not r.get('static_quality_fallback')]
        lines[f'scored_{backend}'] = f'{len(scored) / len(fakes):.3f}'
        rhos = {}
        for family in sorted({r['method'] for r in fakes}):
            pairs = np.array([(r['static_quality'], r['true_quality'])
                              for r in scored if r['method'] == family])
            rho = float(spearmanr(
                *pairs.T)[0]) if len(pairs) > 2 else float('nan')
            rhos[family] = rho
            lines[f'spearman_{backend}_{family}'] = f'{rho:.3f}'
        mean_rho = np.nanmean(list(rhos.values()))
        lines[f'spearman_{backend}_mean'] = f'{mean_rho:.3f}'
        print(f'  {backend:5s} scored {len(scored)}/{len(fakes)} fakes; ' +
              ', '.join(f'{k} {v:.3f}' for k, v in rhos.items()))

    ffpp_root = osp.join(args.shared, 'icpr2020dfdc', 'ffpp')
    if osp.isdir(ffpp_root):
        pooled = crop_ffpp(args.shared, osp.join(args.out, 'ffpp'),
                           args.ffpp_frames, 256)
        print(
            'FF++ c23 clips: mean ± std similarity of each fake to its paired '
            'real (Face2Face has no pair)'
        )
        for backend in backends:
            fakes = score(pooled,
                          osp.join(osp.dirname(pooled), f'all_{backend}.json'),
                          backend, args)
            for method in sorted({r['method'] for r in fakes}):
                values = [
                    r['static_quality'] for r in fakes if r['method'] == method
                    and not r.get('static_quality_fallback')
                ]
                if values:
                    lines[
                        f'ffpp_{backend}_{method}'] = f'{np.mean(values):.3f}'
                    print(
                        f'  {backend:5s} {method:15s} {np.mean(values):.3f} ± '
                        f'{np.std(values):.3f} '
                        f'({len(values)} frames)')
    else:
        print(f'FF++ clips absent ({ffpp_root}): real-data part skipped')
    for name, value in lines.items():
        print(f'{name}: {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
