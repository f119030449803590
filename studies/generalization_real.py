"""The generalisation protocol on the real clips in ../shared/data (tiny: a
smoke-scale check, not a result).

1. FF++ c23 leave-one-method-out: the 7 sample videos (3 originals; Deepfakes,
   Face2Face, FaceSwap, NeuralTextures, one each) are cropped with
   ``tools/data/preprocess.py``'s pipeline; static quality is the dlib identity
   similarity of each fake to its paired real (Face2Face's original is absent:
   it gets the median fallback). There are only 3 real videos, so train/test
   are split in time: the first 2/3 of every video's frames train, the last 1/3
   test. Train on reals + 3 methods, test on reals + the 4th.
2. DFDC unseen test: train on every FF++ frame, test on the 167 labelled DFDC
   face crops (``cvit-dfdc-faces``; BlazeFace crops, so their framing differs
   from ours too).

Baseline (configs/baseline_demo.py) vs QC (configs/qc_demo.py), both
MobileNetV3-small from scratch at ``--img-size``. Ends with ``name: value``
lines (``qc_minus_baseline_auc_ffpp_lomo``, ``qc_minus_baseline_auc_dfdc``,
...).

    python -m studies.generalization_real [--shared ../shared/data] \
        [--seeds 0 1 2]
"""
import argparse
import glob
import json
import logging
import os
import os.path as osp
import sys
import time
from pathlib import Path

import numpy as np

from qcdet.offline.static_quality import evaluator_config, score_annotation
from qcdet.utils.dataset_names import FFPP_STANDARD_METHODS
from studies.annotations import crop_ffpp, write_annotation
from studies.paths import SHARED_DATA
from studies.runs import make_config, run_one
from studies.tables import format_table, paired_difference, print_name_values

FFPP_METHODS = list(FFPP_STANDARD_METHODS)
VARIANTS = {'baseline': 'configs/baseline_demo.py', 'qc': 'configs/qc_demo.py'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--shared', default=SHARED_DATA,
                        help='the shared data folder')
    parser.add_argument('--out', default='work_dirs/generalization_real')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--methods', nargs='+', default=FFPP_METHODS,
                        choices=FFPP_METHODS,
                        help='FF++ methods to hold out, one cell each')
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--num-frames', type=int, default=32,
                        help='frames cropped per video')
    parser.add_argument('--img-size', type=int, default=128)
    parser.add_argument('--num-workers', type=int, default=1)
    return parser.parse_args(argv)


def prepare_ffpp(args) -> tuple:
    """The cropped FF++ clips with every fake scored by dlib identity
    similarity."""
    root = osp.join(args.out, 'ffpp')
    scored = osp.join(root, 'annotations', 'all_static.json')
    if not osp.exists(scored):
        pooled = crop_ffpp(args.shared, root, args.num_frames, args.img_size)
        score_annotation(pooled, scored, evaluator_config('dlib'),
                         progress=False)
    with open(scored) as f:
        ann = json.load(f)
    return root, ann


def temporal_split(records):
    """The first 2/3 of each video's frames train, the rest test (only 3 real
    videos exist)."""
    by_video = {}
    for r in records:
        by_video.setdefault(r['video_id'], []).append(r['frame_idx'])
    train, test = [], []
    for r in records:
        frames = sorted(by_video[r['video_id']])
        (train if frames.index(r['frame_idx']) < round(len(frames) * 2 /
                                                       3) else test).append(r)
    return train, test


def dfdc_annotation(args) -> str:
    """An annotation file for the labelled DFDC crops (video id from the file
    name)."""
    root = osp.join(args.shared, 'cvit-dfdc-faces')
    records = []
    for path in sorted(glob.glob(osp.join(root, '*', '*', '*.jpg'))):
        rel = osp.relpath(path, root)
        label = dict(real=0, fake=1)[Path(rel).parts[1]]
        video = Path(rel).stem.rsplit('_', 1)[0]
        records.append(
            dict(img_path=rel, label=label, video_id=f'dfdc_crops/{video}',
                 dataset='dfdc_crops', method='DFDC' if label else 'real',
                 frame_idx=int(Path(rel).stem.rsplit('_', 1)[1])))
    path = osp.join(osp.abspath(args.out), 'dfdc_crops.json')
    write_annotation(path, records,
                     dict(dataset='dfdc_crops', classes=['real', 'fake']))
    return path


def main(argv=None):
    args = parse_args(argv)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    for needed in ('icpr2020dfdc/ffpp', 'cvit-dfdc-faces'):
        if not osp.isdir(osp.join(args.shared, needed)):
            sys.exit(
                f'shared data absent: {osp.join(args.shared, needed)} (pass '
                '--shared)'
            )
    start = time.time()
    os.makedirs(args.out, exist_ok=True)
    root, ann = prepare_ffpp(args)
    records, metainfo = ann['data_list'], ann['metainfo']
    train_pool, test_pool = temporal_split(records)

    static = {}
    for r in records:
        if r['label'] == 1:
            static.setdefault(r['method'], []).append(r['static_quality'])
    print(
        'dlib identity similarity per FF++ method (mean ± std over frames; '
        'Face2Face is the unpaired '
        'fallback):')
    for method, values in sorted(static.items()):
        print(
            f'  {method:15s} {np.mean(values):.3f} ± {np.std(values):.3f}  '
            f'({len(values)} frames)'
        )

    def runs(protocol, cells, train_ann, test_cfg):
        results = []
        for seed in args.seeds:
            for cell in cells:
                for variant, config in VARIANTS.items():
                    work_dir = osp.join(args.out, 'work_dirs', protocol, cell,
                                        variant, f'seed{seed}')
                    cfg = make_config(
                        config, seed, work_dir, args.epochs, args.num_workers,
                        train=dict(data_root=root, ann_file=train_ann(cell)),
                        test=test_cfg(cell), img_size=args.img_size)
                    result = run_one(
                        osp.join(args.out, 'runs', protocol, cell, variant,
                                 f'seed{seed}.json'), cfg, variant=variant,
                        held_out=cell, seed=seed)
                    results.append(result)
                    print(
                        f'{protocol} {cell:15s} {variant:9s} seed {seed}: '
                        f'frame AUC {result["frame_auc"]:.3f} '
                        f'video AUC {result["video_auc"]:.3f} '
                        f'({result["seconds"]} s)',
                        flush=True)
        return results

    study = osp.join(root, 'annotations', 'study')
    for method in FFPP_METHODS:
        write_annotation(
            osp.join(study, f'train_no_{method}.json'),
            [r for r in train_pool if r['method'] != method], metainfo)
        write_annotation(
            osp.join(study, f'test_{method}.json'),
            [r
             for r in test_pool if r['method'] in ('real', method)], metainfo)
    write_annotation(osp.join(study, 'train_all.json'), records, metainfo)
    lomo = runs(
        'ffpp_lomo', args.methods,
        lambda m: f'annotations/study/train_no_{m}.json', lambda m: dict(
            data_root=root, ann_file=f'annotations/study/test_{m}.json'))
    dfdc_ann = dfdc_annotation(args)
    dfdc = runs(
        'dfdc_unseen', ['DFDC'], lambda _: 'annotations/study/train_all.json',
        lambda _: dict(data_root=osp.join(args.shared, 'cvit-dfdc-faces'),
                       ann_file=dfdc_ann))

    variants = list(VARIANTS)
    print('\nFF++ leave-one-method-out, frame AUC (mean ± std over seeds)')
    print(
        format_table(lomo, 'frame_auc', variants, args.methods,
                     'held-out method'))
    print(
        '\nTrained on all FF++ clips, tested on the DFDC crops (frame AUC, '
        'video AUC)'
    )
    print(
        format_table(dfdc, 'frame_auc', variants, ['DFDC'],
                     'test set (frame AUC)'))
    print(
        format_table(dfdc, 'video_auc', variants, ['DFDC'],
                     'test set (video AUC)'))
    with open(osp.join(args.out, 'results.json'), 'w') as f:
        json.dump(
            dict(
                settings=vars(args), ffpp_lomo=lomo, dfdc_unseen=dfdc,
                dlib_similarity={
                    m: [float(np.mean(v)),
                        float(np.std(v)),
                        len(v)]
                    for m, v in static.items()
                }), f, indent=1)
    lines = {}
    for name, results in (('ffpp_lomo', lomo), ('dfdc', dfdc)):
        diffs = paired_difference(results, 'frame_auc')
        lines[f'qc_minus_baseline_auc_{name}'] = f'{diffs.mean():+.4f}'
        lines[f'qc_minus_baseline_auc_{name}_wins'] = (
            f'{int((diffs > 0).sum())}/{len(diffs)}')
        for variant in variants:
            aucs = [r['frame_auc'] for r in results if r['variant'] == variant]
            lines[f'{variant}_frame_auc_{name}'] = f'{np.mean(aucs):.4f}'
    print_name_values(lines, start)
    return 0


if __name__ == '__main__':
    sys.exit(main())
