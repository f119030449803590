import logging
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from sklearn.metrics import average_precision_score, roc_auc_score

from qcdet.evaluation.metrics import DeepfakeMetric, equal_error_rate


def make_samples(fake_probs, labels, video_ids):
    """Data samples as MMEngine's Evaluator hands them to ``process``."""
    samples = []
    for i, (p, y, v) in enumerate(zip(fake_probs, labels, video_ids)):
        sample = DataSample(metainfo=dict(video_id=v, img_path=f'f{i}.png'))
        sample.set_gt_label(int(y))
        sample.set_pred_score(torch.tensor([1.0 - p, p]))
        samples.append(sample)
    return samples


def evaluate(metric, fake_probs, labels, video_ids, as_dict=True):
    samples = make_samples(fake_probs, labels, video_ids)
    if as_dict:
        samples = [s.to_dict() for s in samples]
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def random_videos(seed=0, num_videos=12, frames_per_video=5):
    rng = np.random.default_rng(seed)
    video_labels = np.array([0, 1] * (num_videos // 2))
    labels, video_ids, probs = [], [], []
    for v, y in enumerate(video_labels):
        for _ in range(frames_per_video):
            labels.append(int(y))
            video_ids.append(f'vid{v}')
            # Overlapping but informative scores.
            probs.append(float(np.clip(rng.normal(0.4 + 0.2 * y, 0.2), 0, 1)))
    return np.array(probs), np.array(labels), video_ids


def hand_video_scores(probs, labels, video_ids, aggregate):
    groups = {}
    for p, y, v in zip(probs, labels, video_ids):
        groups.setdefault(v, ([], y))[0].append(p)
    scores = [aggregate(ps) for ps, _ in groups.values()]
    return np.array(scores), np.array([y for _, y in groups.values()])


@pytest.mark.parametrize('as_dict', [True, False])
def test_frame_metrics_match_sklearn(as_dict):
    probs, labels, video_ids = random_videos(seed=1)
    metrics = evaluate(DeepfakeMetric(), probs, labels, video_ids, as_dict)

    assert metrics['frame_auc'] == pytest.approx(roc_auc_score(labels, probs))
    assert metrics['ap'] == pytest.approx(
        average_precision_score(labels, probs))
    pred = (probs > 0.5).astype(int)
    assert metrics['acc'] == pytest.approx(np.mean(pred == labels))
    real, fake = labels == 0, labels == 1
    assert metrics['real_acc'] == pytest.approx(np.mean(pred[real] == 0))
    assert metrics['fake_acc'] == pytest.approx(np.mean(pred[fake] == 1))
    assert metrics['num_frames'] == len(probs)
    assert metrics['num_videos'] == 12
    assert 0.0 < metrics['eer'] < 0.5


def test_threshold_changes_accuracy():
    probs = np.array([0.1, 0.3, 0.6, 0.9])
    labels = np.array([0, 0, 1, 1])
    vids = ['a', 'b', 'c', 'd']
    default = evaluate(DeepfakeMetric(), probs, labels, vids)
    strict = evaluate(DeepfakeMetric(threshold=0.7), probs, labels, vids)
    assert default['acc'] == 1.0
    assert strict['acc'] == 0.75
    assert strict['real_acc'] == 1.0 and strict['fake_acc'] == 0.5


@pytest.mark.parametrize('aggregation,aggregate', [('mean', np.mean),
                                                   ('max', np.max)])
def test_video_auc_by_hand(aggregation, aggregate):
    probs, labels, video_ids = random_videos(seed=2)
    metrics = evaluate(
        DeepfakeMetric(video_aggregation=aggregation), probs, labels,
        video_ids)
    video_scores, video_labels = hand_video_scores(probs, labels, video_ids,
                                                   aggregate)
    assert metrics['video_auc'] == pytest.approx(
        roc_auc_score(video_labels, video_scores))


def test_mean_and_max_aggregation_differ():
    # Video r: one high-scoring outlier frame; video f: uniformly medium.
    probs = [0.1, 0.1, 0.9, 0.5, 0.5, 0.5]
    labels = [0, 0, 0, 1, 1, 1]
    vids = ['r', 'r', 'r', 'f', 'f', 'f']
    mean_auc = evaluate(DeepfakeMetric('mean'), probs, labels, vids)
    max_auc = evaluate(DeepfakeMetric('max'), probs, labels, vids)
    assert mean_auc['video_auc'] == 1.0  # 0.367 < 0.5
    assert max_auc['video_auc'] == 0.0  # 0.9 > 0.5


@pytest.mark.parametrize('reals,fakes,expected', [
    # Perfect separation.
    ([0.1, 0.2], [0.8, 0.9], 0.0),
    # Completely inverted.
    ([0.8, 0.9], [0.1, 0.2], 1.0),
    # Threshold in (0.4, 0.6]: one real above (fpr 1/4), one fake below
    # (fnr 1/4).
    ([0.1, 0.2, 0.3, 0.6], [0.4, 0.7, 0.8, 0.9], 0.25),
    # Tie at 0.4: the ROC segment (0, 1/2) -> (1/2, 1) crosses
    # fpr = 1 - tpr at fpr = 1/4.
    ([0.2, 0.4], [0.4, 0.6], 0.25),
])
def test_eer_known_cases(reals, fakes, expected):
    scores = np.array(reals + fakes)
    labels = np.array([0] * len(reals) + [1] * len(fakes))
    assert equal_error_rate(labels, scores) == pytest.approx(expected)
    metrics = evaluate(DeepfakeMetric(), scores, labels,
                       [f'v{i}' for i in range(len(scores))])
    assert metrics['eer'] == pytest.approx(expected)


def test_eer_lies_between_fpr_and_fnr_at_nearest_threshold():
    probs, labels, _ = random_videos(seed=3)
    eer = equal_error_rate(labels, probs)
    # At any threshold t, EER lies between min(fpr, fnr) and max(fpr, fnr)
    # of the threshold closest to the crossing.
    best = None
    for t in np.unique(probs):
        fpr = np.mean(probs[labels == 0] >= t)
        fnr = np.mean(probs[labels == 1] < t)
        if best is None or abs(fpr - fnr) < abs(best[0] - best[1]):
            best = (fpr, fnr)
    assert min(best) - 1e-9 <= eer <= max(best) + 1e-9


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_single_class_gives_nan_and_warns():
    handler = _Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        metrics = evaluate(DeepfakeMetric(), [0.2, 0.7, 0.4], [1, 1, 1],
                           ['a', 'a', 'b'])
    finally:
        logger.removeHandler(handler)
    for key in ('frame_auc', 'video_auc', 'eer', 'ap'):
        assert math.isnan(metrics[key]), key
    assert metrics['fake_acc'] == pytest.approx(1 / 3)
    assert math.isnan(metrics['real_acc'])
    assert any('frame_auc' in m and 'NaN' in m for m in handler.messages)


def test_inconsistent_video_labels_raise():
    with pytest.raises(ValueError, match='vidX'):
        evaluate(DeepfakeMetric(), [0.2, 0.7, 0.4], [0, 1, 0],
                 ['vidX', 'vidX', 'vidY'])


def test_video_id_falls_back_to_img_path():
    metric = DeepfakeMetric()
    sample = DataSample(metainfo=dict(img_path='a.png')).set_gt_label(1)
    sample.set_pred_score(torch.tensor([0.3, 0.7]))
    metric.process(None, [sample.to_dict()])
    assert metric.results == [(pytest.approx(0.7), 1, 'a.png')]


def test_missing_pred_score_raises():
    sample = DataSample(metainfo=dict(video_id='v')).set_gt_label(0)
    with pytest.raises(KeyError, match='pred_score'):
        DeepfakeMetric().process(None, [sample.to_dict()])


def test_bad_aggregation_rejected():
    with pytest.raises(ValueError, match='video_aggregation'):
        DeepfakeMetric(video_aggregation='median')


def test_results_are_small_python_scalars():
    metric = DeepfakeMetric()
    evaluate(metric, [0.2, 0.8], [0, 1], ['a', 'b'])
    for score, label, video_id in metric.results:
        assert type(score) is float
        assert type(label) is int
        assert type(video_id) is str


def test_through_mmengine_evaluator():
    init_default_scope('qcdet')
    probs, labels, video_ids = random_videos(seed=4)
    evaluator = Evaluator(dict(type='DeepfakeMetric', video_aggregation='max'))
    samples = make_samples(probs, labels, video_ids)
    for start in range(0, len(samples), 8):
        evaluator.process(samples[start:start + 8])
    metrics = evaluator.evaluate(len(samples))

    assert set(metrics) >= {
        'frame_auc', 'video_auc', 'eer', 'ap', 'acc', 'real_acc', 'fake_acc'
    }
    assert metrics['frame_auc'] == pytest.approx(roc_auc_score(labels, probs))
    video_scores, video_labels = hand_video_scores(probs, labels, video_ids,
                                                   np.max)
    assert metrics['video_auc'] == pytest.approx(
        roc_auc_score(video_labels, video_scores))
