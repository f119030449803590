"""Generalisation study on the embedded synthetic benchmark (``--benchmark
v1|v2|v3``).

v1 and v2 leave one forgery family out: for every held-out family F, train on
the real faces and the other families' fakes (train split), test on the test
split's reals and F's fakes only (identities of the test split are never seen
in training). v3 trains once on its three training families and tests that
model on the held-out realistic family and on the two control families
(docs/demo_data.md); its headline is the frame AUC on the held-out family's
fakes of the top true-quality tercile (the realistic ones). Each variant is one
config of the repo, so the study measures exactly what users run:

  baseline      configs/baseline_demo.py
  qc            configs/qc_demo.py (static SSIM + dynamic FQS, FreDA, pacing)
  freda_all     configs/baseline_demo.py + FreDA on every fake (the diagnostic;
                sweep its band with overrides)

and the ablations, each
``configs/mobilenetv3/qc_mobilenetv3_<A>_1xb32_12e_demo.py`` with the ``<A>``
given here:

  qc_routing    routing (the earlier reading: every fake once, hard share
                paced)
  qc_selection  selection (the earlier reading: a fixed preference for
                realistic fakes)
  static_only   static_only
  dynamic_only  dynamic_only
  no_freda      no_freda
  no_pacing     no_pacing (constant hard share, FreDA amount matched)
  no_quality    no_quality (hard fakes drawn uniformly)

A variant may carry config overrides, ``NAME:KEY=VALUE,KEY=VALUE``
(``sampler.X`` stands for ``train_dataloader.sampler.X``, ``hook.X`` for
``custom_hooks.0.X``), e.g.
``qc:sampler.temperature=0.25,hook.dynamic.signal=loss``: how settings are
chosen on one data seed. Every run records how many fake visits it had and how
many went through FreDA, so ablations can be compared at a matched FreDA
amount.

No validation split and no checkpoint selection: the last epoch's weights are
tested (selection on seen families would not transfer to an unseen one, and it
keeps the study cheap). Every run writes its metrics to
``<out>/runs/<family>/<variant>/seed<k>.json``; an interrupted study continues
where it stopped.

Static quality: SSIM to the paired real by default, as ``tools/run_demo.sh``
does (``--static-backend dlib`` for the identity similarity;
studies/static_quality_validity.py compares how well each tracks the true
quality).

Ends with ``name: value`` lines: ``<variant>_frame_auc`` /
``<variant>_video_auc`` means, the paired differences to the baseline of every
variant, and last ``qc_minus_baseline_auc: MEAN ± SD (95% CI [LO, HI], N
pairs)`` (frame AUC on the held-out family, paired by family and seed; v3: on
the held-out family's top-tercile fakes, paired by seed; Student t interval).

    python -m studies.generalization --benchmark v2 --data-seed 1 \
        --seeds 0 1 2 3 4 5 6 7 8 9 --jobs 2
    python -m studies.generalization --seeds 0 --epochs 1 \
        --num-identities 10 --variants baseline qc
"""
import argparse
import ast
import json
import logging
import os
import os.path as osp
import re
import subprocess
import sys
import time

import numpy as np
from mmengine.config import Config
from mmengine.logging import MMLogger
from scipy import stats

from qcdet.offline.static_quality import evaluator_config, score_annotation
from qcdet.offline.synthetic_data import (
    FORGERY_FAMILIES,
    V3_CONTROLS,
    V3_HELD_OUT,
    V3_TRAIN_FAMILIES,
    forgeries_v3,
    generate_demo_dataset,
)
from studies.runs import QUALITY_TERCILES, make_config, run_one
from studies.tables import (
    format_table,
    mean_std,
    paired_difference,
    print_name_values,
)

#: the ablation configs of the demo detector
ABLATION = 'configs/mobilenetv3/qc_mobilenetv3_{}_1xb32_12e_demo.py'
VARIANTS = {
    'baseline': 'configs/baseline_demo.py',
    'qc': 'configs/qc_demo.py',
    'freda_all': 'configs/baseline_demo.py',
    'qc_routing': ABLATION.format('routing'),
    'qc_selection': ABLATION.format('selection'),
    'static_only': ABLATION.format('static_only'),
    'dynamic_only': ABLATION.format('dynamic_only'),
    'no_freda': ABLATION.format('no_freda'),
    'no_pacing': ABLATION.format('no_pacing'),
    'no_quality': ABLATION.format('no_quality'),
}


#: options a variant always carries (before its own): FreDA on every fake of
#: the baseline
BUILT_IN_OPTIONS = {
    'freda_all': {
        'train_dataloader.dataset.pipeline.1.apply_to': 'all_fakes'
    }
}
_ALIASES = {
    'sampler.': 'train_dataloader.sampler.',
    'hook.': 'custom_hooks.0.',
    'freda.': 'train_dataloader.dataset.pipeline.1.'
}


def parse_variant(text: str) -> str:
    """Checks ``NAME[:KEY=VALUE,...]``; the string itself names the variant."""
    name, _, options = text.partition(':')
    if name not in VARIANTS:
        raise argparse.ArgumentTypeError(
            f'unknown variant {name!r}; known: {list(VARIANTS)}')
    variant_options(text)
    return text


def variant_options(variant: str) -> dict:
    """``{'train_dataloader.sampler.temperature': 0.25, ...}`` from
    ``NAME:KEY=VALUE,...``."""
    options = dict(BUILT_IN_OPTIONS.get(variant.partition(':')[0], {}))
    # commas inside brackets belong to a value, e.g. pipeline.2.scale=(128,128)
    for item in filter(
            None, re.split(r',(?![^([]*[)\]])',
                           variant.partition(':')[2])):
        key, sep, value = item.partition('=')
        if not sep:
            raise argparse.ArgumentTypeError(
                f'variant option {item!r} is not KEY=VALUE')
        for short, full in _ALIASES.items():
            if key.startswith(short):
                key = full + key[len(short):]
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value  # a bare word such as selection
    return options


def variant_dir(variant: str) -> str:
    """A folder name for a variant string (overrides spelled out, unsafe
    characters dropped)."""
    return re.sub(r'[^\w.=+-]+', '_', variant.replace(':', '__'))


def build_parser(description: str) -> argparse.ArgumentParser:
    """The study's options (``benchmark_validity.py`` shares them)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--out', default='work_dirs/generalization',
                        help='data, runs and results go here')
    parser.add_argument(
        '--variants', nargs='+', default=list(VARIANTS), type=parse_variant,
        help=f'from {list(VARIANTS)}, each optionally NAME:KEY=VALUE,... '
        '(config overrides)')
    parser.add_argument('--benchmark', default='v2',
                        choices=['v1', 'v2', 'v3'],
                        help='synthetic benchmark version (docs/demo_data.md)')
    parser.add_argument(
        '--families', nargs='+', default=list(FORGERY_FAMILIES),
        choices=list(FORGERY_FAMILIES),
        help='v1/v2: families to hold out, one study cell each (v3 has one '
        'fixed cell)')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2],
                        help='training seeds')
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--num-identities', type=int, default=120,
                        help='60/20/20 %% train/val/test identities')
    parser.add_argument('--frames-per-video', type=int, default=6,
                        help='frames per video (test uses all)')
    parser.add_argument(
        '--train-frames-per-video', type=int, default=2,
        help='frames per video used for training (the first ones); fewer '
        'keeps the study cheap')
    parser.add_argument('--size', type=int, default=64,
                        help='image side of the generated data')
    parser.add_argument('--data-seed', type=int, default=0,
                        help='seed of the generated data')
    parser.add_argument(
        '--static-backend', default='ssim', choices=['ssim', 'dlib'],
        help='static quality evaluator (ssim: as tools/run_demo.sh does)')
    parser.add_argument('--num-workers', type=int, default=0,
                        help='DataLoader workers per run')
    parser.add_argument('--threads', type=int, default=0,
                        help='torch threads (0: leave the default)')
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='runs in parallel, one single-threaded process each (2 suits a '
        '2-core CPU)')
    # "k/n": this process runs every n-th run from k
    parser.add_argument('--shard', help=argparse.SUPPRESS)
    return parser


def parse_args(argv=None):
    return build_parser(__doc__.split('\n\n')[0]).parse_args(argv)


def prepare_data(args, without_shortcuts: bool = False) -> str:
    """Generates the demo data once and writes the train split's static scores
    (``--static-backend``).

    ``without_shortcuts`` (v3 only): the same data without the families'
    low-frequency shortcuts, in its own folder (what ``benchmark_validity.py``
    trains its oracle on)."""
    root = osp.join(args.out,
                    'data_without_shortcuts' if without_shortcuts else 'data')
    meta = dict(seed=args.data_seed, num_identities=args.num_identities,
                frames_per_video=args.frames_per_video, size=args.size,
                static_backend=args.static_backend, benchmark=args.benchmark)
    extra = dict(without_shortcuts=True) if without_shortcuts else {}
    meta.update(extra)
    # other constants, other data: never reuse a stale copy
    if args.benchmark == 'v3':
        meta['calibration'] = forgeries_v3.calibration()
    meta_file = osp.join(root, 'study_data.json')
    if osp.exists(meta_file) and json.load(open(meta_file)) == meta:
        return root
    generate_demo_dataset(
        root, seed=args.data_seed, num_identities=args.num_identities,
        videos_per_identity=1, frames_per_video=args.frames_per_video,
        size=args.size, workers=2, benchmark=args.benchmark, **extra)
    ann = osp.join(root, 'annotations')
    score_annotation(
        osp.join(ann, 'train.json'), osp.join(ann, 'train_static.json'),
        evaluator_config(args.static_backend), workers=2, progress=False)
    with open(meta_file, 'w') as f:
        json.dump(meta, f)
    return root


def write_split(root: str, src: str, dst: str, keep) -> str:
    with open(osp.join(root, 'annotations', src)) as f:
        ann = json.load(f)
    ann['data_list'] = [r for r in ann['data_list'] if keep(r)]
    ann['metainfo']['methods'] = sorted({
        r['method']
        for r in ann['data_list']
    })
    path = osp.join(root, 'annotations', dst)
    with open(path, 'w') as f:
        json.dump(ann, f)
    return path


def study_cells(args) -> list:
    """``(cell, train_families, test_families)``: v1/v2 one cell per held-out
    family, v3 one cell."""
    if args.benchmark == 'v3':
        return [('v3', list(V3_TRAIN_FAMILIES), [V3_HELD_OUT, *V3_CONTROLS])]
    return [(family, [f for f in FORGERY_FAMILIES if f != family], [family])
            for family in args.families]


def write_study_splits(root: str, args) -> None:
    """The train annotation of every cell and the test annotation of every
    tested family."""
    os.makedirs(osp.join(root, 'annotations', 'study'), exist_ok=True)
    for cell, train_families, test_families in study_cells(args):
        write_split(
            root, 'train_static.json', train_file(cell),
            lambda r, keep=set(train_families) | {'real'}: r['method'] in keep
            and r['frame_idx'] < args.train_frames_per_video)
        for family in test_families:
            write_split(root, 'test.json', test_file(family),
                        lambda r, f=family: r['method'] in ('real', f))


def train_file(cell: str) -> str:
    if cell == 'v3':
        return 'study/train_v3.json'
    return f'study/train_no_{cell}.json'


def test_file(family: str) -> str:
    return f'study/test_{family}.json'


def study_config(variant: str, train_root: str, test_root: str, cell: str,
                 seed: int, work_dir: str, args) -> Config:
    cfg = make_config(
        VARIANTS[variant.partition(':')[0]], seed, work_dir, args.epochs,
        args.num_workers, train=dict(
            data_root=train_root, ann_file=f'annotations/{train_file(cell)}'),
        test=dict(data_root=test_root, ann_file='annotations/test.json'))
    cfg.merge_from_dict(variant_options(variant), allow_list_keys=True)
    return cfg


def run_cell(args, train_root: str, test_root: str, cell: str, test_families,
             variant: str, seed: int, runs_dir: str = 'runs',
             work_dirs: str = 'work_dirs') -> list:
    """Trains one variant and seed of a cell and tests it on each family; one
    record per tested family (``held_out``), with the fake exposure of the
    training run."""
    work_dir = osp.join(args.out, work_dirs, cell, variant_dir(variant),
                        f'seed{seed}')
    cfg = study_config(variant, train_root, test_root, cell, seed, work_dir,
                       args)
    tests = {
        family: f'annotations/{test_file(family)}'
        for family in test_families
    }
    result = run_one(
        osp.join(args.out, runs_dir, cell, variant_dir(variant),
                 f'seed{seed}.json'), cfg, tests=tests, variant=variant,
        cell=cell, seed=seed)
    records = []
    for family, metrics in result['tests'].items():
        record = {k: v for k, v in result.items() if k != 'tests'}
        record.update(metrics, held_out=family,
                      frame_auc_high=metrics['frame_auc_by_quality']['high'])
        records.append(record)
    return records


def quality_table(results, variants) -> list:
    """Frame AUC per true-quality tercile of the held-out fakes (mean ± std
    over runs)."""
    rows = [
        '',
        'Frame AUC on the held-out fakes by true-quality tercile (mean ± std '
        'over families and seeds)',
        '| variant | ' + ' | '.join(f'{t} q' for t in QUALITY_TERCILES) + ' |',
        '|---' * 4 + '|'
    ]
    for variant in variants:
        cells = []
        for tercile in QUALITY_TERCILES:
            values = [
                r['frame_auc_by_quality'][tercile] for r in results
                if r['variant'] == variant and
                (r.get('frame_auc_by_quality') or {}).get(tercile) is not None
            ]
            cells.append(mean_std(values) if values else 'n/a')
        rows.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
    return rows


def confidence_interval(diffs, level: float = 0.95):
    """Student t interval of the mean of ``diffs`` (``(nan, nan)`` for fewer
    than two)."""
    diffs = np.asarray(diffs, dtype=float)
    if len(diffs) < 2:
        return float('nan'), float('nan')
    half = stats.t.ppf(0.5 + level / 2,
                       len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(
                           len(diffs))
    return diffs.mean() - half, diffs.mean() + half


def describe_difference(diffs) -> str:
    """``MEAN ± SD (95% CI [LO, HI], N pairs)``."""
    diffs = np.asarray(diffs, dtype=float)
    low, high = confidence_interval(diffs)
    sd = diffs.std(ddof=1) if len(diffs) > 1 else 0.0
    return (f'{diffs.mean():+.4f} ± {sd:.4f} '
            f'(95% CI [{low:+.4f}, {high:+.4f}], {len(diffs)} pairs)')


def seed_level_difference(results, metric, variant, reference='baseline'):
    """Per seed, the family-mean difference: pairs that share a seed are not
    independent."""
    ref = {(r['held_out'], r['seed']): r[metric] for r in results
           if r['variant'] == reference and r[metric] is not None}
    by_seed = {}
    for r in results:
        if r['variant'] == variant and r[metric] is not None and (
                r['held_out'], r['seed']) in ref:
            by_seed.setdefault(r['seed'],
                               []).append(r[metric] -
                                          ref[(r['held_out'], r['seed'])])
    return np.asarray([np.mean(v) for v in by_seed.values()], dtype=float)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    MMLogger.get_instance('mmengine', log_level='WARNING')
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    settings = dict(epochs=args.epochs, num_identities=args.num_identities,
                    frames_per_video=args.frames_per_video,
                    train_frames_per_video=args.train_frames_per_video,
                    size=args.size, data_seed=args.data_seed,
                    static_backend=args.static_backend,
                    model='mobilenetv3_small_050', benchmark=args.benchmark)
    settings_file = osp.join(args.out, 'runs', 'settings.json')
    if not args.shard:
        if osp.exists(settings_file) and json.load(
                open(settings_file)) != settings:
            sys.exit(
                f'{args.out} holds runs made with other settings '
                f'({settings_file}); '
                'choose another --out or delete it')
        os.makedirs(osp.dirname(settings_file), exist_ok=True)
        with open(settings_file, 'w') as f:
            json.dump(settings, f)
    root = prepare_data(args) if not args.shard else osp.join(args.out, 'data')
    if not args.shard:
        write_study_splits(root, args)

    if args.jobs > 1 and not args.shard:
        argv = list(sys.argv[1:] if argv is None else argv)
        procs = [
            subprocess.Popen([
                sys.executable, '-m', 'studies.generalization', *argv,
                '--shard', f'{k}/{args.jobs}', '--threads', '1'
            ]) for k in range(args.jobs)
        ]
        if any(proc.wait() for proc in procs):
            sys.exit(
                'a study process failed (its runs so far are kept; run the '
                'same command again to continue)'
            )
    shard, num_shards = map(int, args.shard.split('/')) if args.shard else (0,
                                                                            1)

    results = []
    runs = [(seed, cell, variant) for seed in args.seeds
            for cell in study_cells(args) for variant in args.variants]
    for index, (seed, (cell, _, test_families), variant) in enumerate(runs):
        if index % num_shards == shard:
            records = run_cell(args, root, root, cell, test_families, variant,
                               seed)
            results.extend(records)
            scores = '  '.join(f"{r['held_out']} {r['frame_auc']:.3f}"
                               for r in records)
            print(
                f'[{index + 1}/{len(runs)}] {cell} {variant} seed {seed}: '
                f'frame AUC {scores} '
                f"({records[0]['seconds']} s)", flush=True)
    if args.shard:
        return 0

    tested = [
        family for _, _, families in study_cells(args) for family in families
    ]
    settings = dict(settings, seeds=args.seeds)
    exposure = [
        '', 'Fake visits per run through FreDA (mean share over runs)',
        '| variant | FreDA share |', '|---|---|'
    ]
    for variant in args.variants:
        runs_of = [
            r for r in results
            if r['variant'] == variant and r.get('fake_visits')
        ]
        share = np.mean(
            [r['freda_visits'] / r['fake_visits']
             for r in runs_of]) if runs_of else 0.0
        exposure.append(f'| {variant} | {share:.3f} |')
    with open(
            osp.join(root, 'annotations',
                     train_file(study_cells(args)[0][0]))) as f:
        settings['train_frames_per_run'] = len(json.load(f)['data_list'])
    label = 'tested family' if args.benchmark == 'v3' else 'held-out family'
    report = [
        f"Settings: {json.dumps(settings)}", '',
        f'Frame AUC on the {label} (mean ± std over seeds)',
        format_table(results, 'frame_auc', args.variants, tested, label), '',
        f'Video AUC on the {label} (mean ± std over seeds)',
        format_table(results, 'video_auc', args.variants, tested, label)
    ]
    if args.benchmark == 'v3':
        report += [
            '',
            f'Frame AUC on the top true-quality tercile of each {label} (mean '
            '± std over seeds)',
            format_table(results, 'frame_auc_high', args.variants, tested,
                         label)
        ]
    primary = [
        r for r in results
        if args.benchmark != 'v3' or r['held_out'] == V3_HELD_OUT
    ]
    report += exposure + quality_table(primary, args.variants)
    print('\n'.join(report))
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write('\n'.join(report) + '\n')
    with open(osp.join(args.out, 'results.json'), 'w') as f:
        json.dump(dict(settings=settings, runs=results), f, indent=1)

    lines, last = difference_lines(results, args.variants, args.benchmark)
    print_name_values(lines, start)
    for name, value in last.items():  # the headline figure, last
        print(f'{name}: {value}')
    return 0


def difference_lines(results, variants, benchmark):
    """Per variant its means and paired differences to the baseline, as ``name:
    value`` lines; and the headline ``qc_minus_baseline_auc`` apart (frame AUC
    on the held-out families; v3: on the held-out family's top-tercile
    fakes)."""
    if benchmark == 'v3':
        primary = [r for r in results if r['held_out'] == V3_HELD_OUT]
        figures = [(primary, 'frame_auc_high', '_auc'),
                   (primary, 'frame_auc', '_auc_overall'),
                   (primary, 'video_auc', '_video_auc')]
        figures += [([r for r in results
                      if r['held_out'] == c], 'frame_auc', f'_{c}_auc')
                    for c in V3_CONTROLS]
    else:
        primary = results
        figures = [(results, 'video_auc', '_video_auc'),
                   (results, 'frame_auc', '_auc')]
    lines, last = {}, {}
    for variant in variants:
        for metric in ('frame_auc', 'video_auc') + (
            ('frame_auc_high', ) if benchmark == 'v3' else ()):
            values = [
                r[metric] for r in primary
                if r['variant'] == variant and r[metric] is not None
            ]
            lines[f'{variant}_{metric}'] = f'{np.mean(values):.4f}'
    if 'baseline' not in variants:
        return lines, last
    for variant in variants:
        if variant == 'baseline':
            continue
        prefix = 'qc' if variant == 'qc' else variant
        for records, metric, suffix in figures:
            name = f'{prefix}_minus_baseline{suffix}'
            diffs = paired_difference(records, metric, variant)
            lines[name + '_wins'] = f'{int((diffs > 0).sum())}/{len(diffs)}'
            lines[name + '_by_seed'] = describe_difference(
                seed_level_difference(records, metric, variant))
            (last if name == 'qc_minus_baseline_auc' else
             lines)[name] = describe_difference(diffs)
    return lines, last


if __name__ == '__main__':
    sys.exit(main())
