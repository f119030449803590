"""ROC curves from the per-frame predictions ``tools/test.py --out`` dumps
(MMEngine ``DumpResults``: a pickle list of data-sample dicts)."""
import pickle
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from sklearn.metrics import roc_auc_score, roc_curve

from .figure import new_figure

__all__ = ['load_predictions', 'video_level', 'roc_curve_data', 'plot_roc']


def _scalar(value, key: str, where: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if value is None:
        raise KeyError(f'prediction {where} has no "{key}"')
    return np.asarray(value).reshape(-1)


def load_predictions(path: str) -> Dict[str, np.ndarray]:
    """``scores`` (fake probability), ``labels`` and ``video_ids`` of every
    frame in a ``DumpResults`` pickle."""
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    if not isinstance(samples, (list, tuple)) or not samples:
        raise ValueError(f'{path}: expected a non-empty list of data-sample '
                         f'dicts (tools/test.py --out), got '
                         f'{type(samples).__name__}')
    scores, labels, video_ids = [], [], []
    for i, sample in enumerate(samples):
        where = f'#{i} in {path}'
        if not isinstance(sample, dict):
            raise ValueError(f'prediction {where} is a '
                             f'{type(sample).__name__}, not a dict')
        pred = _scalar(sample.get('pred_score'), 'pred_score', where)
        label = _scalar(sample.get('gt_label'), 'gt_label', where)
        if pred.size != 2 or label.size != 1:
            raise ValueError(f'prediction {where}: need pred_score [p_real, '
                             f'p_fake] and one gt_label, got {pred.size} '
                             f'scores and {label.size} labels')
        scores.append(float(pred[1]))
        labels.append(int(label[0]))
        video_ids.append(
            str(sample.get('video_id') or sample.get('img_path') or i))
    return dict(scores=np.array(scores, dtype=np.float64),
                labels=np.array(labels, dtype=np.int64),
                video_ids=np.array(video_ids))


def video_level(preds: Dict[str, np.ndarray],
                aggregation: str = 'mean') -> Dict[str, np.ndarray]:
    """One score per video (mean or max of its frames), as DeepfakeMetric
    aggregates them for ``video_auc``."""
    if aggregation not in ('mean', 'max'):
        raise ValueError(f'aggregation must be "mean" or "max", got '
                         f'{aggregation!r}')
    frames: Dict[str, List[float]] = OrderedDict()
    label_of: Dict[str, int] = {}
    for score, label, vid in zip(preds['scores'], preds['labels'],
                                 preds['video_ids']):
        vid = str(vid)
        if label_of.setdefault(vid, int(label)) != label:
            raise ValueError(f'video {vid!r} has frames with both labels')
        frames.setdefault(vid, []).append(float(score))
    reduce = np.mean if aggregation == 'mean' else np.max
    return dict(scores=np.array([reduce(s) for s in frames.values()]),
                labels=np.array([label_of[v] for v in frames]),
                video_ids=np.array(list(frames)))


def roc_curve_data(scores: np.ndarray, labels: np.ndarray) -> dict:
    """``fpr``, ``tpr``, ``thresholds`` and ``auc`` (NaN with one class)."""
    if len(np.unique(labels)) < 2:
        return dict(fpr=np.array([]), tpr=np.array([]),
                    thresholds=np.array([]), auc=float('nan'),
                    num=len(labels))
    fpr, tpr, thresholds = roc_curve(labels, scores, pos_label=1)
    return dict(fpr=fpr, tpr=tpr, thresholds=thresholds,
                auc=float(roc_auc_score(labels, scores)), num=len(labels))


def plot_roc(predictions: Sequence[Dict[str, np.ndarray]],
             names: Optional[Sequence[str]] = None,
             video: bool = True,
             aggregation: str = 'mean'):
    """ROC curves of several test sets (frame level solid, video level
    dashed). Returns ``(figure, curves)`` with
    ``curves[name] = {'frame': roc_curve_data, 'video': ...}``."""
    names = list(names) if names else [f'set{i}' for i in
                                       range(len(predictions))]
    if len(names) != len(predictions):
        raise ValueError(f'{len(names)} names for {len(predictions)} '
                         'prediction sets')
    fig = new_figure(6.4, 5.6)
    ax = fig.add_subplot()
    curves = OrderedDict()
    colours = [f'C{i % 10}' for i in range(len(names))]
    for name, preds, colour in zip(names, predictions, colours):
        levels = {'frame': preds}
        if video:
            levels['video'] = video_level(preds, aggregation)
        curves[name] = {}
        for level, data in levels.items():
            curve = roc_curve_data(data['scores'], data['labels'])
            curves[name][level] = curve
            if np.isnan(curve['auc']):
                continue
            ax.plot(curve['fpr'], curve['tpr'], color=colour,
                    linestyle='-' if level == 'frame' else '--',
                    label=f'{name} {level} AUC={curve["auc"]:.3f} '
                    f'(n={curve["num"]})')
    ax.plot([0, 1], [0, 1], color='grey', linestyle=':', label='chance')
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel='false positive rate',
           ylabel='true positive rate (fakes detected)',
           title='ROC per test set' + (' (dashed: video level)'
                                       if video else ''))
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right', fontsize='small')
    return fig, curves
