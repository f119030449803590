"""ROC data from DumpResults pickles equals what DeepfakeMetric reports."""
import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from qcdet.evaluation.metrics import DeepfakeMetric
from qcdet.visualization import (
    load_predictions,
    plot_roc,
    save_figure,
    video_level,
)


def dump(path, rng, num_videos=8, frames=3, shift=0.2):
    samples = []
    for v in range(num_videos):
        label = v % 2
        for f in range(frames):
            p_fake = float(np.clip(rng.random() * 0.8 + shift * label, 0, 1))
            samples.append(dict(pred_score=torch.tensor([1 - p_fake,
                                                         p_fake]),
                                gt_label=torch.tensor([label]),
                                video_id=f'demo/v{v}', frame_idx=f,
                                img_path=f'v{v}/{f}.png'))
    with open(path, 'wb') as f:
        pickle.dump(samples, f)
    return samples


def metric_of(samples):
    metric = DeepfakeMetric()
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def test_roc_auc_equals_the_metric(tmp_path):
    rng = np.random.default_rng(0)
    sets = [dump(tmp_path / f'{n}.pkl', rng, shift=s)
            for n, s in (('a', 0.1), ('b', 0.5))]
    preds = [load_predictions(str(tmp_path / f'{n}.pkl')) for n in 'ab']
    fig, curves = plot_roc(preds, ['a', 'b'])
    for name, samples in zip('ab', sets):
        expected = metric_of(samples)
        assert curves[name]['frame']['auc'] == pytest.approx(
            expected['frame_auc'], abs=1e-12)
        assert curves[name]['video']['auc'] == pytest.approx(
            expected['video_auc'], abs=1e-12)
        assert curves[name]['frame']['num'] == len(samples)
        assert curves[name]['video']['num'] == 8
        # the curve integrates to the AUC
        curve = curves[name]['frame']
        assert np.trapezoid(curve['tpr'], curve['fpr']) == pytest.approx(
            curve['auc'])
    assert curves['a']['frame']['auc'] != curves['b']['frame']['auc']
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(f"{curves['b']['frame']['auc']:.3f}" in t for t in legend)
    path = save_figure(fig, str(tmp_path / 'roc.png'))
    assert (tmp_path / 'roc.png').stat().st_size > 10_000 and path


def test_video_level_max_aggregation():
    preds = dict(scores=np.array([0.1, 0.9, 0.4, 0.3]),
                 labels=np.array([1, 1, 0, 0]),
                 video_ids=np.array(['a', 'a', 'b', 'b']))
    video = video_level(preds, 'max')
    np.testing.assert_allclose(video['scores'], [0.9, 0.4])
    assert roc_auc_score(video['labels'], video['scores']) == 1.0
    mixed = dict(preds, labels=np.array([1, 0, 0, 0]))
    with pytest.raises(ValueError, match="'a' has frames with both"):
        video_level(mixed)


def test_single_class_gives_nan_and_no_curve(tmp_path):
    preds = dict(scores=np.array([0.2, 0.7]), labels=np.array([1, 1]),
                 video_ids=np.array(['a', 'b']))
    _, curves = plot_roc([preds], ['fakes only'])
    assert np.isnan(curves['fakes only']['frame']['auc'])


def test_bad_prediction_file(tmp_path):
    path = tmp_path / 'bad.pkl'
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_score=torch.tensor([0.5, 0.5]))], f)
    with pytest.raises(KeyError, match='gt_label'):
        load_predictions(str(path))
