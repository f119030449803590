"""Is synthetic benchmark v3 a valid test of the quality-centric hypothesis?
Checks that do not use the method.

The hypothesis: low-quality fakes carry family-specific low-frequency
shortcuts; a detector that learns them misses realistic unseen fakes; removing
the shortcuts (what FreDA does to low-quality fakes) makes it learn the weak
high-frequency generator trace that all fakes share, which transfers. v3
(docs/demo_data.md) is built so; these checks say whether it is, on a given
data seed, before any QC run:

  (i)   probe: a linear probe (logistic regression) on the log power spectrum
        of high-pass residuals, fitted on the training families' fakes against
        the reals (train split), finds the shared trace on the held-out family
        (test split): ``probe_auc_neural_render`` >= PROBE_MIN, and nothing on
        the control without a trace: ``probe_auc_no_trace_control`` <=
        NO_TRACE_PROBE_MAX. Beside it, the v2 failure: a training-free probe of
        face-region residual noise (``noise_probe_auc_*``), which should find
        nothing.
  (ii)  oracle: the plain baseline trained on the same training fakes generated
        *without* their low-frequency shortcuts (``generate_demo_dataset(...,
        without_shortcuts=True)``) beats the plain baseline on the held-out
        family: ``oracle_gap`` (frame AUC, paired by seed) >= ORACLE_GAP_MIN
        with its 95 % interval above 0.
  (iii) negative controls, same two trainings: on ``shortcut_control`` (a
        held-out family with a training family's shortcut) removing the
        shortcuts hurts, ``control_shortcut_gap`` < 0; on ``no_trace_control``
        (realistic, no trace) it does not help, ``|control_no_trace_gap|`` <=
        NO_TRACE_GAP_MAX.

The thresholds are fixed here and in docs/results.md before the checks run; the
data are calibrated on the oracle gap only, never on a QC result. Last line:
``valid: yes`` or ``valid: no (<failed checks>)``.

    python -m studies.benchmark_validity --benchmark v3 --data-seed 1 \
        --seeds 0 1 2 3 4 --jobs 2
    python -m studies.benchmark_validity --data-seed 0 --seeds 0 1 2 \
        --calibration TRACE_AMPLITUDE=3.0 HELD_OUT_TRACE_AMPLITUDE=3.0 \
        "CODEC_QUALITY=(90, 98)" --out work_dirs/validity_v3_d0_trace3

``--calibration`` sets v3's calibration constants
(``forgeries_v3.set_calibration``) for the data this command generates; they
are recorded in its metainfo.
"""
import ast
import json
import logging
import os
import os.path as osp
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import cv2
import numpy as np
from mmengine.logging import MMLogger
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from qcdet.offline.synthetic_data import (
    V3_CONTROLS,
    V3_HELD_OUT,
    V3_TRAIN_FAMILIES,
    forgeries_v3,
)
from studies.generalization import (
    build_parser,
    confidence_interval,
    describe_difference,
    prepare_data,
    run_cell,
    study_cells,
    write_study_splits,
)
from studies.tables import print_name_values

PROBE_MIN = 0.70
NO_TRACE_PROBE_MAX = 0.60
ORACLE_GAP_MIN = 0.05
NO_TRACE_GAP_MAX = 0.03
TESTED = (V3_HELD_OUT, *V3_CONTROLS)


def parse_args(argv=None):
    parser = build_parser(__doc__.split('\n\n')[0])
    parser.set_defaults(out='work_dirs/benchmark_validity',
                        seeds=[0, 1, 2, 3, 4], benchmark='v3')
    parser.add_argument(
        '--calibration', nargs='+', default=[], metavar='NAME=VALUE',
        help='v3 calibration constants for the generated data '
        '(docs/demo_data.md)')
    args = parser.parse_args(argv)
    try:
        args.calibration = {
            name: ast.literal_eval(value)
            for name, _, value in (item.partition('=')
                                   for item in args.calibration)
        }
    except (ValueError, SyntaxError) as e:
        parser.error(
            f'--calibration takes NAME=VALUE with Python literals: {e}')
    if args.benchmark != 'v3':
        parser.error(
            'only v3 has the shortcut-free twin the oracle needs (--benchmark '
            'v3)'
        )
    return args


# ------------------------------------------------------------------ (i) probes
def residual_spectrum(image: np.ndarray, bins: int = 8) -> np.ndarray:
    """Log power spectrum of the grey high-pass residual (image minus its 3x3
    mean), averaged over ``bins`` x ``bins`` blocks of the centred spectrum: a
    small linear-probe feature."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    residual = grey - cv2.blur(grey, (3, 3))
    power = np.fft.fftshift(np.abs(np.fft.fft2(residual)) ** 2)
    size = power.shape[0] // bins * bins
    blocks = power[:size, :size].reshape(bins, size // bins, bins,
                                         size // bins).mean((1, 3))
    return np.log(blocks + 1e-3).ravel()


def noise_ratio(image: np.ndarray) -> float:
    """The v2 cue: −log of the residual noise in the central half of the crop
    (the face) over that of the border (background); high when the face lost
    its sensor noise."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    residual = grey - cv2.GaussianBlur(grey, (0, 0), 1.0)
    size = grey.shape[0]
    inner = np.zeros(grey.shape, bool)
    inner[size // 4:3 * size // 4, size // 4:3 * size // 4] = True
    border = np.ones(grey.shape, bool)
    border[size // 8:7 * size // 8, size // 8:7 * size // 8] = False
    return float(-np.log(residual[inner].std() /
                         (residual[border].std() + 1e-6) + 1e-6))


def load_records(root: str, ann_file: str):
    with open(osp.join(root, 'annotations', ann_file)) as f:
        records = json.load(f)['data_list']
    images = [cv2.imread(osp.join(root, r['img_path'])) for r in records]
    return records, images


def probe_lines(root: str, cell: str, train_file: str) -> dict:
    """Probe AUCs per tested family: the linear residual-spectrum probe and the
    training-free noise probe."""
    records, images = load_records(root, train_file)
    features = np.stack([residual_spectrum(image) for image in images])
    labels = np.array([r['label'] for r in records])
    probe = make_pipeline(StandardScaler(),
                          LogisticRegression(C=0.1, max_iter=2000)).fit(
                              features, labels)
    lines = {}
    for family in TESTED:
        records, images = load_records(root, f'study/test_{family}.json')
        labels = np.array([r['label'] for r in records])
        scores = probe.decision_function(
            np.stack([residual_spectrum(image) for image in images]))
        lines[f'probe_auc_{family}'] = f'{roc_auc_score(labels, scores):.4f}'
        noise = [noise_ratio(image) for image in images]
        noise_auc = roc_auc_score(labels, noise)
        lines[f'noise_probe_auc_{family}'] = f'{noise_auc:.4f}'
    return lines


# ------------------------------------------------------------ (ii), (iii)
# oracle
def _run(job):
    import torch
    torch.set_num_threads(1)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    MMLogger.get_instance('mmengine', log_level='WARNING')
    args, name, train_root, test_root, cell, seed = job
    records = run_cell(args, train_root, test_root, cell, TESTED, 'baseline',
                       seed, runs_dir=f'runs_{name}',
                       work_dirs=f'work_dirs_{name}')
    return [dict(r, variant=name) for r in records]


def gap(results, family: str, metric: str = 'frame_auc') -> np.ndarray:
    """Oracle − baseline per seed on one tested family."""
    base = {
        r['seed']: r[metric]
        for r in results
        if r['variant'] == 'baseline' and r['held_out'] == family
    }
    return np.array([
        r[metric] - base[r['seed']] for r in results
        if r['variant'] == 'oracle' and r['held_out'] == family
        and r['seed'] in base
    ])


def main(argv=None):
    args = parse_args(argv)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    MMLogger.get_instance('mmengine', log_level='WARNING')
    start = time.time()
    os.makedirs(args.out, exist_ok=True)
    forgeries_v3.set_calibration(args.calibration)
    (cell, _, _), = study_cells(args)
    root = prepare_data(args)
    oracle_root = prepare_data(args, without_shortcuts=True)
    for data in (root, oracle_root):
        write_study_splits(data, args)
    train_file = f'study/train_{cell}.json'

    lines = probe_lines(root, cell, train_file)
    jobs = [(args, name, train_root, root, cell, seed) for seed in args.seeds
            for name, train_root in (('baseline', root), ('oracle',
                                                          oracle_root))]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs,
                                 mp_context=get_context('fork')) as pool:
            results = [r for records in pool.map(_run, jobs) for r in records]
    else:
        results = [r for job in jobs for r in _run(job)]
    with open(osp.join(args.out, 'validity.json'), 'w') as f:
        json.dump(dict(settings=vars(args), runs=results), f, indent=1)

    for family in TESTED:
        for name in ('baseline', 'oracle'):
            values = [
                r['frame_auc'] for r in results
                if r['variant'] == name and r['held_out'] == family
            ]
            lines[f'{name}_auc_{family}'] = (
                f'{np.mean(values):.4f} ± {np.std(values, ddof=1):.4f}')
    oracle_gap = gap(results, V3_HELD_OUT)
    lines['oracle_gap_high_tercile'] = describe_difference(
        gap(results, V3_HELD_OUT, 'frame_auc_high'))
    shortcut_gap = gap(results, 'shortcut_control')
    no_trace_gap = gap(results, 'no_trace_control')
    lines['control_shortcut_gap'] = describe_difference(shortcut_gap)
    lines['control_no_trace_gap'] = describe_difference(no_trace_gap)
    lines['oracle_gap'] = describe_difference(oracle_gap)

    failed = []
    if float(lines[f'probe_auc_{V3_HELD_OUT}']) < PROBE_MIN:
        failed.append('probe')
    if float(lines['probe_auc_no_trace_control']) > NO_TRACE_PROBE_MAX:
        failed.append('probe_no_trace')
    if (oracle_gap.mean() < ORACLE_GAP_MIN
            or not confidence_interval(oracle_gap)[0] > 0):
        failed.append('oracle_gap')
    if not shortcut_gap.mean() < 0:
        failed.append('control_shortcut')
    if abs(no_trace_gap.mean()) > NO_TRACE_GAP_MAX:
        failed.append('control_no_trace')
    print(
        f'Benchmark v3 validity, data seed {args.data_seed}, '
        f'{len(args.seeds)} training seeds; training families '
        f'{list(V3_TRAIN_FAMILIES)}')
    print_name_values(lines, start)
    print('valid: ' + ('yes' if not failed else f'no ({", ".join(failed)})'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
