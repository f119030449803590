"""Plots of a QC run's per-epoch quality files
(``work_dir/quality/epoch_{N}.json``, see docs/method.md): score
histograms per forgery method and the curriculum timeline."""
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from .figure import integer_ticks, new_figure

__all__ = [
    'load_quality_files', 'quality_histograms', 'plot_quality_histograms',
    'curriculum_timeline', 'plot_curriculum_timeline', 'static_score_label',
    'run_static_evaluator', 'annotation_static_evaluator'
]

SCORES = ('static', 'dynamic', 'fqs')
SCORE_LABELS = dict(static='static quality q',
                    dynamic='dynamic score d (1 - p_fake)',
                    fqs='Forgery Quality Score (FQS)')
UNKNOWN_STATIC = 'static quality score'
# IdentitySimilarityEvaluator backends (tools/quality/score_static.py)
IDENTITY_BACKENDS = dict(arcface='ArcFace identity similarity',
                         dlib='dlib identity similarity',
                         onnx='identity similarity (ONNX model)')
_EPOCH_FILE = re.compile(r'^epoch_(\d+)\.json$')


def load_quality_files(work_dir: str) -> Dict[int, dict]:
    """``{epoch: file contents}`` from ``work_dir/quality`` (or a folder
    holding the ``epoch_{N}.json`` files itself), sorted by epoch."""
    folder = Path(work_dir)
    if (folder / 'quality').is_dir():
        folder = folder / 'quality'
    files = {}
    for path in folder.glob('epoch_*.json'):
        match = _EPOCH_FILE.match(path.name)
        if match:
            data = json.loads(path.read_text())
            if 'samples' not in data:
                raise KeyError(f'{path} has no "samples"; is it a '
                               'QualityScoreHook file?')
            files[int(match.group(1))] = data
    if not files:
        raise FileNotFoundError(f'no quality/epoch_N.json files in '
                                f'{work_dir} (was it trained with the QC '
                                'block, configs/_base_/qc.py?)')
    return OrderedDict(sorted(files.items()))


def static_score_label(evaluator: Optional[dict]) -> str:
    """What the static scores measure, from the evaluator config that
    ``score_annotation`` records in the annotation's metainfo
    (``static_quality_evaluator``), so that an axis of SSIM scores does not
    read "identity similarity"; ``'static quality score'`` when unknown."""
    if not evaluator:
        return UNKNOWN_STATIC
    kind = str(evaluator.get('type', '')).split('.')[-1]
    if kind == 'SSIMSimilarityEvaluator':
        return 'SSIM similarity'
    if kind == 'IdentitySimilarityEvaluator':
        backend = evaluator.get('backend', 'dlib')  # the evaluator's default
        return IDENTITY_BACKENDS.get(backend, f'{backend} identity '
                                     'similarity')
    return f'{UNKNOWN_STATIC} ({kind})' if kind else UNKNOWN_STATIC


def run_static_evaluator(work_dir: str) -> Optional[dict]:
    """The static-quality evaluator of a run's training annotation: the
    config MMEngine dumped into ``work_dir`` names the annotation file, its
    metainfo the evaluator. None where either is missing."""
    from mmengine.config import Config

    from qcdet.datasets.annotation_file import join_data_root
    for config in sorted(Path(work_dir).glob('*.py')):
        try:
            dataset = Config.fromfile(str(config)).train_dataloader.dataset
        except Exception:  # not the config of a run: try the next file
            continue
        ann_file = dataset.get('ann_file')
        if not ann_file:
            continue
        ann_file = join_data_root(Path(dataset.get('data_root') or ''),
                                  ann_file)
        if Path(ann_file).is_file():
            return annotation_static_evaluator(ann_file)
    return None


def annotation_static_evaluator(ann_file: str) -> Optional[dict]:
    """``metainfo.static_quality_evaluator`` of an annotation file."""
    with open(ann_file) as f:
        return json.load(f).get('metainfo', {}).get(
            'static_quality_evaluator')


def _column(samples: dict, key: str) -> np.ndarray:
    """A score column with None (unscored) as NaN."""
    return np.array([np.nan if v is None else v for v in samples[key]],
                    dtype=np.float64)


def quality_histograms(epoch_data: dict) -> Dict[str, Dict[str, np.ndarray]]:
    """``{method: {score: values}}`` for one epoch's file; unscored (NaN)
    values are dropped, their number kept under ``'missing_<score>'``."""
    samples = epoch_data['samples']
    methods = np.array(samples['method'])
    result = OrderedDict()
    for method in sorted(set(methods.tolist())):
        chosen = methods == method
        per_score = OrderedDict(count=int(chosen.sum()))
        for score in SCORES:
            values = _column(samples, score)[chosen]
            per_score[score] = values[~np.isnan(values)]
            per_score[f'missing_{score}'] = int(np.isnan(values).sum())
        result[method] = per_score
    return result


def plot_quality_histograms(epoch_data: dict, bins: int = 20,
                            static_label: str = UNKNOWN_STATIC):
    """One panel per score (static, dynamic, FQS), one step histogram per
    method; ``static_label`` (:func:`static_score_label`) says what the
    static scores measure. Returns ``(figure,
    quality_histograms(epoch_data))``."""
    data = quality_histograms(epoch_data)
    xlabels = dict(static=static_label, dynamic='dynamic score d',
                   fqs='FQS')
    fig = new_figure(15, 4.5)
    axes = fig.subplots(1, len(SCORES))
    for ax, score in zip(axes, SCORES):
        values = [d[score] for d in data.values() if len(d[score])]
        if values:
            low = min(float(v.min()) for v in values)
            high = max(float(v.max()) for v in values)
            edges = np.linspace(low, high if high > low else low + 1,
                                bins + 1)
        for i, (method, d) in enumerate(data.items()):
            if len(d[score]):
                ax.hist(d[score], bins=edges, histtype='step', linewidth=1.5,
                        color=f'C{i % 10}',
                        label=f'{method} (n={len(d[score])}, '
                        f'mean={d[score].mean():.3f})')
        ax.set(title=SCORE_LABELS[score], xlabel=xlabels[score],
               ylabel='number of fakes')
        integer_ticks(ax.yaxis)
        ax.grid(alpha=0.3)
        if values:
            ax.legend(fontsize='x-small')
        else:
            ax.text(0.5, 0.5, 'no scores', ha='center', transform=ax.transAxes)
    fig.suptitle(f'Quality scores per forgery method, epoch '
                 f'{epoch_data.get("epoch", "?")}')
    return fig, data


def curriculum_timeline(files: Dict[int, dict]) -> dict:
    """Per epoch: hard/easy counts and fraction (as written in the files),
    mean FQS overall and per method, and the easy share per method."""
    epochs = list(files)
    timeline = OrderedDict(epochs=np.array(epochs),
                           num_hard=np.array([files[e]['num_hard']
                                              for e in epochs]),
                           num_easy=np.array([files[e]['num_easy']
                                              for e in epochs]),
                           hard_fraction=np.array(
                               [files[e]['hard_fraction'] for e in epochs]),
                           mean_fqs=[], method_fqs=OrderedDict(),
                           method_easy_fraction=OrderedDict())
    methods = sorted({m for e in epochs
                      for m in files[e]['samples']['method']})
    for method in methods:
        timeline['method_fqs'][method] = []
        timeline['method_easy_fraction'][method] = []
    for e in epochs:
        samples = files[e]['samples']
        fqs = _column(samples, 'fqs')
        easy = np.array(samples['easy'], dtype=bool)
        method_of = np.array(samples['method'])
        timeline['mean_fqs'].append(
            np.nanmean(fqs) if (~np.isnan(fqs)).any() else np.nan)
        for method in methods:
            chosen = method_of == method
            values = fqs[chosen]
            timeline['method_fqs'][method].append(
                np.nanmean(values) if (~np.isnan(values)).any() else np.nan)
            timeline['method_easy_fraction'][method].append(
                easy[chosen].mean() if chosen.any() else np.nan)
    timeline['mean_fqs'] = np.array(timeline['mean_fqs'])
    for key in ('method_fqs', 'method_easy_fraction'):
        for method in methods:
            timeline[key][method] = np.array(timeline[key][method])
    return timeline


def plot_curriculum_timeline(files: Dict[int, dict],
                             title: Optional[str] = None):
    """Left: hard/easy fakes per epoch (stacked bars) with the hard fraction;
    right: mean FQS per epoch, overall and per method. Returns
    ``(figure, curriculum_timeline(files))``."""
    data = curriculum_timeline(files)
    epochs = data['epochs']
    fig = new_figure(12, 4.5)
    left, right = fig.subplots(1, 2)
    left.bar(epochs, data['num_hard'], color='C3', label='hard (as is)')
    left.bar(epochs, data['num_easy'], bottom=data['num_hard'], color='C0',
             label='easy (FreDA)')
    left.set(xlabel='epoch', ylabel='number of fakes',
             title='Curriculum: hard / easy fakes per epoch')
    integer_ticks(left.xaxis)
    frac = left.twinx()
    frac.plot(epochs, data['hard_fraction'], color='k', marker='o',
              label='hard fraction')
    frac.set(ylim=(0, 1.05), ylabel='hard fraction')
    handles = left.get_legend_handles_labels()
    more = frac.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1],
                loc='lower right', fontsize='small')
    right.plot(epochs, data['mean_fqs'], color='k', linewidth=2.5,
               marker='o', label='all fakes')
    for i, (method, values) in enumerate(data['method_fqs'].items()):
        right.plot(epochs, values, color=f'C{i % 10}', marker='.',
                   label=method)
    right.set(xlabel='epoch', ylabel='mean FQS (higher = more realistic)',
              title='Mean Forgery Quality Score per epoch')
    integer_ticks(right.xaxis)
    right.grid(alpha=0.3)
    right.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    return fig, data
