"""Frame- and video-level deepfake detection metrics."""
import logging
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from qcdet.registry import METRICS

__all__ = ['DeepfakeMetric', 'equal_error_rate']


def equal_error_rate(labels: np.ndarray, scores: np.ndarray) -> float:
    """Error rate where false positive rate equals false negative rate.

    Taken where the ROC curve (straight segments between its points, as for
    randomised thresholds) crosses ``fpr == 1 - tpr``, so it does not depend
    on which threshold happens to lie nearest the crossing.
    """
    fpr, tpr, _ = roc_curve(labels, scores, pos_label=1)
    gap = (1.0 - tpr) - fpr  # starts at 1 (fpr=0, tpr=0), ends at -1
    i = int(np.argmax(gap <= 0))  # first ROC point at or past the crossing
    if i == 0:
        return float(fpr[0])
    t = gap[i - 1] / (gap[i - 1] - gap[i])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


@METRICS.register_module()
class DeepfakeMetric(BaseMetric):
    """AUC (frame and video), EER, AP and accuracy for real-vs-fake.

    Per frame only the fake probability (``pred_score[1]``), the label and
    the video id are kept, so memory grows with the number of frames only.
    Frames are grouped into videos by ``video_id`` (``img_path`` when a
    sample has none, i.e. each frame is its own video).

    EER, AP and the accuracies are frame-level. A frame counts as predicted
    fake when its fake probability is above ``threshold`` (at 0.5 this is the
    model's argmax).

    Args:
        video_aggregation (str): How a video's score is made from its
            frames' fake probabilities: ``'mean'`` or ``'max'``.
        threshold (float): Decision threshold on the fake probability for
            the accuracies. Defaults to 0.5.
        collect_device (str): Device to gather results across processes
            (``'cpu'`` or ``'gpu'``). Defaults to ``'cpu'``.
        prefix (str, optional): Prefix for metric names. Defaults to None.
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 video_aggregation: str = 'mean',
                 threshold: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs):
        super().__init__(
            collect_device=collect_device, prefix=prefix, **kwargs)
        if video_aggregation not in ('mean', 'max'):
            raise ValueError('video_aggregation must be "mean" or "max", '
                             f'got {video_aggregation!r}')
        self.video_aggregation = video_aggregation
        self.threshold = float(threshold)

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Keep ``(fake_prob, label, video_id)`` for each sample.

        MMEngine's Evaluator passes each DataSample as ``to_dict()``, which
        puts metainfo keys (``video_id``, ``img_path``) at the top level;
        DataSample objects are accepted too.
        """
        for sample in data_samples:
            if isinstance(sample, BaseDataElement):
                sample = sample.to_dict()
            self.results.append(self._frame_record(sample))

    @staticmethod
    def _frame_record(sample: dict) -> Tuple[float, int, str]:
        where = sample.get('img_path', '<no img_path>')
        for key in ('pred_score', 'gt_label'):
            if sample.get(key) is None:
                raise KeyError(f'DeepfakeMetric needs "{key}" in each data '
                               f'sample; missing for {where}')
        pred_score = _to_numpy(sample['pred_score']).reshape(-1)
        if len(pred_score) != 2:
            raise ValueError('pred_score must hold 2 probabilities (real, '
                             f'fake), got {len(pred_score)} for {where}')
        gt_label = _to_numpy(sample['gt_label']).reshape(-1)
        if gt_label.size != 1 or int(gt_label[0]) not in (0, 1):
            raise ValueError('gt_label must be a single 0 (real) or 1 (fake), '
                             f'got {sample["gt_label"]} for {where}')
        video_id = sample.get('video_id')
        if video_id is None:
            video_id = sample.get('img_path')
        if video_id is None:
            raise KeyError('DeepfakeMetric needs "video_id" (or at least '
                           '"img_path") in each data sample\'s metainfo')
        return float(pred_score[1]), int(gt_label[0]), str(video_id)

    def compute_metrics(self, results: List[Tuple[float, int, str]]) -> dict:
        scores = np.array([r[0] for r in results], dtype=np.float64)
        labels = np.array([r[1] for r in results], dtype=np.int64)
        video_scores, video_labels = self._video_scores(results)

        metrics: Dict[str, float] = OrderedDict()
        metrics['frame_auc'] = self._ranking_metric(roc_auc_score, labels,
                                                    scores, 'frame_auc')
        metrics['video_auc'] = self._ranking_metric(roc_auc_score,
                                                    video_labels,
                                                    video_scores, 'video_auc')
        metrics['eer'] = self._ranking_metric(equal_error_rate, labels, scores,
                                              'eer')
        metrics['ap'] = self._ranking_metric(average_precision_score, labels,
                                             scores, 'ap')
        correct = (scores > self.threshold).astype(np.int64) == labels
        metrics['acc'] = float(correct.mean()) if len(correct) else math.nan
        metrics['real_acc'] = self._mean_or_nan(correct[labels == 0])
        metrics['fake_acc'] = self._mean_or_nan(correct[labels == 1])
        metrics['num_frames'] = len(scores)
        metrics['num_videos'] = len(video_scores)
        return metrics

    def _video_scores(self, results) -> Tuple[np.ndarray, np.ndarray]:
        """One aggregated score and one label per video."""
        frame_scores: Dict[str, List[float]] = OrderedDict()
        video_label: Dict[str, int] = {}
        for score, label, video_id in results:
            known = video_label.setdefault(video_id, label)
            if known != label:
                raise ValueError(
                    f'Video "{video_id}" has frames labelled both {known} and '
                    f'{label}; every frame of a video must share its label '
                    '(check that video_id is unique across datasets/methods)')
            frame_scores.setdefault(video_id, []).append(score)
        aggregate = np.mean if self.video_aggregation == 'mean' else np.max
        scores = np.array([aggregate(s) for s in frame_scores.values()],
                          dtype=np.float64)
        labels = np.array([video_label[v] for v in frame_scores],
                          dtype=np.int64)
        return scores, labels

    @staticmethod
    def _ranking_metric(fn, labels: np.ndarray, scores: np.ndarray,
                        name: str) -> float:
        """``fn(labels, scores)``, or NaN (with a warning) if undefined."""
        present = np.unique(labels)
        if len(present) < 2:
            print_log(
                f'DeepfakeMetric: {name} is undefined with only class(es) '
                f'{present.tolist()} among {len(labels)} samples; '
                'reporting NaN.',
                logger='current',
                level=logging.WARNING)
            return math.nan
        return float(fn(labels, scores))

    @staticmethod
    def _mean_or_nan(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else math.nan
