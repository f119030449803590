"""Self-blended images (SBI) on the shared FF++ originals, scored on FF++ fakes
and DFDC crops (smoke scale).

A smoke-scale check that the SBI path works end to end on real faces, not a
result: the shared FF++ c23 sample has 3 original videos, so the detector sees
3 identities.

1. The 7 shared FF++ clips are cropped by ``tools/data/preprocess.py``'s
   pipeline with ``--landmarks`` (dlib's 68 points in each record). Only 3
   originals exist, so frames are split in time: the first 2/3 of every video's
   frames can train, the last 1/3 test.
2. Training: the originals' training frames only, each with one self-blend of
   itself (``configs/sbi/sbi_mobilenetv3_*_demo.py``: ``reals_only=True,
   self_blend=True`` and ``SelfBlend``): no fake of any method is seen.
   MobileNetV3-small from random weights at ``--img-size``.
3. Scored, per target set: held-out self-blends (the originals' test frames
   against their own self-blends: SBI's training task on frames it has not
   seen); each FF++ method's test frames against the test frames of the
   original they were made from
   (Deepfakes 519_515 vs 519, FaceSwap 634_660 vs 634, NeuralTextures 004_982
   vs 004: same person, background and resolution; Face2Face 750_743's original
   is not in the sample, so its reals are the 3 other originals); and the 167
   labelled DFDC face crops (``cvit-dfdc-faces``: other people, framed by
   another detector).
4. Frame AUC (scikit-learn) with a bootstrap 95 % CI over frames (stratified:
   reals and fakes resampled separately), for every training seed, and the mean
   and spread over seeds. Two negative controls show chance level under the
   same protocol: the same training with random labels (a fixed random label
   per sample, independent of whether it was blended) and the same network
   untrained (its random init).

Prints a per-run table and a summary table, writes ``results.json`` and the
figure (``--figure``), and ends with ``name: value`` lines
(``sbi_frame_auc_Deepfakes``, ``random_labels_frame_auc_DFDC``, ...).

    python -m studies.sbi_smoke [--shared ../shared/data] \
        [--out /tmp/sbi_smoke] [--seeds 0 1 2] [--epochs 15] \
        [--img-size 96] [--figure docs/images/sbi_smoke.png]
"""
import argparse
import json
import logging
import os
import os.path as osp
import pickle
import sys
import time

import numpy as np
from mmcv.transforms import BaseTransform

from qcdet.offline.face_crops import build_layout, preprocess_dataset
from qcdet.registry import TRANSFORMS
from qcdet.utils.dataset_names import FFPP_STANDARD_METHODS
from studies.annotations import write_annotation

# the same time split and DFDC crop index as the QC study on the shared clips
from studies.generalization_real import dfdc_annotation, temporal_split
from studies.paths import REPO, SHARED_DATA
from studies.runs import make_config
from studies.tables import print_name_values

FFPP_METHODS = list(FFPP_STANDARD_METHODS)
#: 'self_blends': the originals' test frames against their own self-blends,
#: SBI's training task on unseen frames
TARGETS = ['self_blends'] + FFPP_METHODS + ['DFDC']
#: the detector and its SBI training (reals + their self-blends), from the demo
#: config
SBI_CONFIG = 'configs/sbi/sbi_mobilenetv3_1xb32_12e_demo.py'
VARIANTS = ('sbi', 'random_labels', 'untrained')
LABELS = dict(sbi='SBI (trained)', random_labels='control: random labels',
              untrained='control: untrained')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--shared', default=SHARED_DATA,
                        help='the shared data folder')
    parser.add_argument('--out', default='work_dirs/sbi_smoke',
                        help='crops, annotation files, runs and results')
    parser.add_argument('--config', default=SBI_CONFIG,
                        help='the SBI config (MobileNetV3 demo)')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, default=15)
    parser.add_argument('--num-frames', type=int, default=64,
                        help='frames cropped per video')
    parser.add_argument('--crop-size', type=int, default=128,
                        help='stored crop side (preprocess.py --size)')
    parser.add_argument('--img-size', type=int, default=96,
                        help='network input side')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS)
    parser.add_argument('--bootstrap', type=int, default=2000,
                        help='bootstrap resamples per AUC')
    parser.add_argument('--num-workers', type=int, default=1)
    parser.add_argument('--figure', default=None,
                        help='PNG to write (default: <out>/sbi_smoke.png)')
    return parser.parse_args(argv)


@TRANSFORMS.register_module()
class BenchmarkRandomLabel(BaseTransform):
    """Negative control: replaces every sample's label with a fixed random one
    (drawn from ``seed`` and the sample's index), independent of its content,
    so there is nothing to learn."""

    def __init__(self, seed: int = 0):
        self.seed = int(seed)

    def transform(self, results: dict) -> dict:
        results['label'] = int(
            np.random.default_rng([self.seed,
                                   int(results['sample_idx'])]).integers(2))
        return results


# ------------------------------------------------------------------- data
def prepare_ffpp(args) -> tuple:
    """The shared FF++ clips cropped with 68 landmarks (resumes), the training
    reals and one test set per method; returns the crop root and ``{target:
    ann_file}``."""
    root = osp.join(osp.abspath(args.out), 'ffpp')
    layout = build_layout(
        'ffpp', osp.join(args.shared, 'icpr2020dfdc', 'ffpp'),
        splits_dir=osp.join(args.shared, 'faceforensics-examples', 'splits'))
    summary = preprocess_dataset(layout, root, num_frames=args.num_frames,
                                 size=args.crop_size, progress=False,
                                 landmarks=True)
    print(
        f"FF++ crops: {summary['frames_with_face']} frames of "
        f"{summary['done']} videos, 68 landmarks on "
        f"{summary['frames_with_landmarks']} "
        f"({summary['frames_no_landmarks']} without)",
        flush=True)
    records, metainfo = [], None
    for split in ('train', 'val', 'test'):
        with open(osp.join(root, 'annotations', f'{split}.json')) as f:
            ann = json.load(f)
        records += ann['data_list']
        metainfo = ann['metainfo']
    train_pool, test_pool = temporal_split(records)
    study = osp.join(root, 'annotations', 'sbi')
    write_annotation(
        osp.join(study, 'train_reals.json'),
        [r for r in train_pool if r['label'] == 0], metainfo)
    write_annotation(
        osp.join(study, 'test_reals.json'),
        [r for r in test_pool if r['label'] == 0], metainfo)
    tests = {}
    for method in FFPP_METHODS:
        fakes = [r for r in test_pool if r['method'] == method]
        reals = [
            r for r in test_pool if r['label'] == 0
            and r['img_path'].split('/')[2] in own_originals(fakes)
        ]
        # no original in the sample: every real
        reals = reals or [r for r in test_pool if r['label'] == 0]
        tests[method] = osp.join(study, f'test_{method}.json')
        write_annotation(tests[method], reals + fakes, metainfo)
    return root, tests


def own_originals(fakes) -> set:
    """The originals the fakes were made from (crops/real/<original>/... in
    their pairs)."""
    return {r['pair_path'].split('/')[2] for r in fakes if r.get('pair_path')}


# ------------------------------------------------------------ train, score
def run_config(args, variant: str, seed: int, root: str):
    epochs = 0 if variant == 'untrained' else args.epochs
    work_dir = osp.join(
        osp.abspath(args.out), 'work_dirs', variant, f'seed{seed}')
    cfg = make_config(
        args.config, seed, work_dir, max(epochs, 1), args.num_workers,
        train=dict(data_root=root, ann_file='annotations/sbi/train_reals.json',
                   self_blend_seed=seed), test=dict(data_root=root),
        img_size=args.img_size)
    cfg.train_cfg.max_epochs = epochs
    if variant == 'random_labels':
        pipeline = cfg.train_dataloader.dataset.pipeline
        pipeline.insert(
            len(pipeline) - 1, dict(type='BenchmarkRandomLabel', seed=seed))
    return cfg


def train_and_score(args, variant: str, seed: int, root: str,
                    tests: dict) -> dict:
    """Trains one run (none for ``untrained``) and scores every target set;
    reuses a stored run."""
    from mmengine.runner import Runner
    path = osp.join(osp.abspath(args.out), 'runs', variant, f'seed{seed}.json')
    if osp.exists(path):
        with open(path) as f:
            return json.load(f)
    start = time.time()
    cfg = run_config(args, variant, seed, root)
    runner = Runner.from_cfg(cfg)
    # 0 epochs (untrained): the run's hooks and weight init only
    runner.train()
    scores = {}
    for target, test in tests.items():
        predictions = osp.join(cfg.work_dir, f'predictions_{target}.pkl')
        dataset = dict(cfg.test_dataloader.dataset, **test)
        loader = dict(cfg.test_dataloader, dataset=dataset)
        if test.get('self_blend'):
            # blended right after loading, as in training; in this process from
            # one seed: the same blends every run
            pipeline = list(dataset['pipeline'])
            dataset['pipeline'] = (pipeline[:1] + [dict(type='SelfBlend')] +
                                   pipeline[1:])
            loader.update(num_workers=0, persistent_workers=False)
            np.random.seed(1000)
        runner._test_loop = None
        runner._test_dataloader = loader
        runner._test_evaluator = [
            cfg.test_evaluator,
            dict(type='DumpResults', out_file_path=predictions)
        ]
        runner._test_loop = runner.build_test_loop(
            dict(cfg.get('test_cfg') or dict()))
        runner.test_loop.run()
        with open(predictions, 'rb') as f:
            samples = pickle.load(f)
        scores[target] = dict(
            labels=[int(s['gt_label']) for s in samples],
            scores=[float(s['pred_score'][1]) for s in samples])
    result = dict(variant=variant, seed=seed, epochs=cfg.train_cfg.max_epochs,
                  seconds=round(time.time() - start, 1), scores=scores)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(result, f)
    return result


# ------------------------------------------------------------- statistics
def auc_of_rows(scores: np.ndarray, num_real: int) -> np.ndarray:
    """AUC of every row of ``scores`` whose first ``num_real`` columns are
    reals and the rest fakes: the Mann-Whitney form of scikit-learn's
    ``roc_auc_score`` (ties count half), for many resamples at once."""
    from scipy.stats import rankdata
    ranks = rankdata(scores, axis=1)
    num_fake = scores.shape[1] - num_real
    fake_rank_sum = ranks[:, num_real:].sum(axis=1)
    return ((fake_rank_sum - num_fake * (num_fake + 1) / 2) /
            (num_real * num_fake))


def bootstrap_auc(labels, scores, reps: int, seed: int = 0) -> tuple:
    """Frame AUC (scikit-learn) and its percentile 95 % CI over ``reps``
    stratified bootstrap resamples of the frames (reals and fakes resampled
    separately)."""
    from sklearn.metrics import roc_auc_score
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=float)
    auc = float(roc_auc_score(labels, scores))
    if reps <= 0:
        return auc, auc, auc
    rng = np.random.default_rng(seed)
    real, fake = scores[labels == 0], scores[labels == 1]
    picks = np.concatenate([
        rng.choice(real, (reps, len(real))),
        rng.choice(fake, (reps, len(fake)))
    ], axis=1)
    low, high = np.percentile(auc_of_rows(picks, len(real)), [2.5, 97.5])
    return auc, float(low), float(high)


def summarise(runs, reps: int) -> dict:
    """``{variant: {target: [dict(seed, auc, low, high, n_real,
    n_fake)]}}``."""
    table = {}
    for run in runs:
        for target, s in run['scores'].items():
            auc, low, high = bootstrap_auc(s['labels'], s['scores'], reps,
                                           seed=run['seed'])
            n_fake = int(sum(s['labels']))
            table.setdefault(run['variant'], {}).setdefault(target, []).append(
                dict(seed=run['seed'], auc=auc, low=low, high=high,
                     n_real=len(s['labels']) - n_fake, n_fake=n_fake))
    return table


def spread(cells) -> str:
    values = np.array([c['auc'] for c in cells])
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return (f'{values.mean():.3f} ± {sd:.3f} '
            f'[{values.min():.3f}, {values.max():.3f}]')


def format_tables(table, variants) -> str:
    lines = [
        '| variant | seed | ' + ' | '.join(TARGETS) + ' |',
        '|---' * (len(TARGETS) + 2) + '|'
    ]
    for variant in variants:
        for i, cell in enumerate(table[variant][TARGETS[0]]):
            row = [
                f"{table[variant][t][i]['auc']:.3f} "
                f"[{table[variant][t][i]['low']:.2f}, "
                f"{table[variant][t][i]['high']:.2f}]" for t in TARGETS
            ]
            lines.append(f"| {variant} | {cell['seed']} | " + ' | '.join(row) +
                         ' |')
    lines += [
        '', 'Frame AUC, mean ± SD over seeds [min, max]:', '',
        '| target set | reals / fakes | ' + ' | '.join(variants) + ' |',
        '|---' * (len(variants) + 2) + '|'
    ]
    for target in TARGETS:
        first = table[variants[0]][target][0]
        lines.append(f"| {target} | {first['n_real']} / {first['n_fake']} | " +
                     ' | '.join(spread(table[v][target])
                                for v in variants) + ' |')
    return '\n'.join(lines)


def plot(table, variants, path: str, title: str) -> str:
    from qcdet.visualization.figure import new_figure, save_figure
    fig = new_figure(7.6, 3.6)
    ax = fig.add_subplot()
    colours = dict(sbi='tab:blue', random_labels='tab:grey',
                   untrained='tab:orange')
    width = 0.8 / len(variants)
    for v, variant in enumerate(variants):
        for t, target in enumerate(TARGETS):
            cells = table[variant][target]
            centre = t - 0.4 + width * (v + 0.5)
            xs = [centre]
            if len(cells) > 1:
                xs = centre + np.linspace(-0.3, 0.3, len(cells)) * width
            for i, (x, c) in enumerate(zip(xs, cells)):
                yerr = [[c['auc'] - c['low']], [c['high'] - c['auc']]]
                ax.errorbar(
                    x, c['auc'], yerr=yerr, fmt='o', ms=3.5,
                    color=colours[variant], elinewidth=1, capsize=1.5,
                    label=LABELS[variant] if t == 0 and i == 0 else None)
            mean = np.mean([c['auc'] for c in cells])
            ax.hlines(mean, centre - width * 0.45, centre + width * 0.45,
                      color=colours[variant], lw=2)
    ax.axhline(0.5, color='k', lw=0.8, ls='--')
    names = {
        'self_blends': 'held-out\nself-blends',
        'DFDC': 'DFDC crops',
        'NeuralTextures': 'Neural-\nTextures'
    }
    ax.set_xticks(
        range(len(TARGETS)), [names.get(t, t) for t in TARGETS], fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel('frame AUC')
    ax.set_title(title, fontsize=8)
    fig.legend(fontsize=7, loc='outside lower center', ncols=len(variants))
    ax.grid(axis='y', alpha=0.3)
    return save_figure(fig, path, dpi=90)


def main(argv=None):
    args = parse_args(argv)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    for needed in ('icpr2020dfdc/ffpp', 'cvit-dfdc-faces'):
        if not osp.isdir(osp.join(args.shared, needed)):
            sys.exit(
                f'shared data absent: {osp.join(args.shared, needed)} (pass '
                '--shared)'
            )
    if not osp.exists(REPO / args.config):
        sys.exit(f'SBI config absent: {args.config}')
    start = time.time()
    os.makedirs(args.out, exist_ok=True)
    root, ffpp_tests = prepare_ffpp(args)
    tests = {
        'self_blends':
        dict(data_root=root, ann_file='annotations/sbi/test_reals.json',
             reals_only=True, self_blend=True, self_blend_seed=1000)
    }
    tests.update({
        m: dict(data_root=root, ann_file=ann)
        for m, ann in ffpp_tests.items()
    })
    tests['DFDC'] = dict(
        data_root=osp.join(args.shared, 'cvit-dfdc-faces'),
        ann_file=dfdc_annotation(args))
    runs = []
    for seed in args.seeds:
        for variant in args.variants:
            run = train_and_score(args, variant, seed, root, tests)
            runs.append(run)
            print(
                f"{variant:13s} seed {seed}: {run['epochs']} epochs, "
                f"{run['seconds']} s",
                flush=True)
    table = summarise(runs, args.bootstrap)
    print(
        '\nFrame AUC [bootstrap 95% CI over frames] per run; trained on '
        f'{len(args.seeds)} seeds, '
        f'{args.epochs} epochs, {args.img_size} px:\n')
    print(format_tables(table, args.variants))
    figure = args.figure or osp.join(args.out, 'sbi_smoke.png')
    title = (
        'SBI trained on 3 FF++ original videos (smoke scale): '
        f'MobileNetV3-small, {args.img_size} px, '
        f'{args.epochs} epochs, {len(args.seeds)} seeds\n'
        'dots: one seed each, bars: bootstrap 95% CI over frames, lines: mean '
        'over seeds'
    )
    plot(table, args.variants, figure, title)
    print(f'\nfigure: {figure}')
    with open(osp.join(args.out, 'results.json'), 'w') as f:
        json.dump(dict(settings=vars(args), table=table), f, indent=1)
    lines = {}
    for variant in args.variants:
        for target in TARGETS:
            aucs = [c['auc'] for c in table[variant][target]]
            lines[f'{variant}_frame_auc_{target}'] = f'{np.mean(aucs):.4f}'
    print_name_values(lines, start)
    return 0


if __name__ == '__main__':
    sys.exit(main())
