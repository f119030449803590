import numpy as np
import pytest
import torch

from qcdet.quality import FQSCombiner, ModelFeedbackEvaluator, normalize_scores

LABELS = np.array([0, 1, 1, 1, 1])


def test_normalize_rank_and_minmax():
    v = np.array([np.nan, 10.0, 0.0, 1000.0, 5.0])
    r = normalize_scores(v, 'rank')
    assert np.isnan(r[0])
    np.testing.assert_allclose(r[1:], [2 / 3, 0, 1, 1 / 3])
    m = normalize_scores(v, 'minmax')
    np.testing.assert_allclose(m[1:], [0.01, 0, 1, 0.005])
    with pytest.raises(ValueError, match='normalize'):
        normalize_scores(v, 'zscore')


def test_fqs_is_d_plus_alpha_q_over_fakes():
    q = np.array([np.nan, 0.1, 0.2, 0.3, 0.4])   # ranks 0, 1/3, 2/3, 1
    d = np.array([0.9, 0.4, 0.3, 0.2, 0.1])      # ranks 1, 2/3, 1/3, 0
    fqs = FQSCombiner(alpha=2.0, normalize='rank')(LABELS, q, d)
    assert np.isnan(fqs[0])  # reals get no FQS
    np.testing.assert_allclose(fqs[1:], [1, 2 / 3 + 2 / 3, 1 / 3 + 4 / 3, 2])


def test_fqs_missing_parts_and_ablations():
    q = np.array([np.nan, 0.1, np.nan, 0.3, 0.4])
    fqs = FQSCombiner(alpha=1.0)(LABELS, q, None)   # first epoch: no d yet
    # the fake with no static score gets the median of the others
    np.testing.assert_allclose(fqs[1:], [0, 0.5, 0.5, 1])
    d = np.array([np.nan, 0.4, 0.3, 0.2, 0.1])
    static_only = FQSCombiner(use_dynamic=False)(LABELS, q, d)
    np.testing.assert_allclose(static_only, fqs, equal_nan=True)
    dyn_only = FQSCombiner(use_static=False)(LABELS, q, d)
    np.testing.assert_allclose(dyn_only[1:], [1, 2 / 3, 1 / 3, 0])
    none = FQSCombiner()(LABELS, None, None)
    assert np.isnan(none).all()
    with pytest.raises(ValueError):
        FQSCombiner(use_static=False, use_dynamic=False)


def test_model_feedback_evaluator():
    p = torch.tensor([0.9, 0.2])
    loss = torch.tensor([0.1, 1.6])
    torch.testing.assert_close(ModelFeedbackEvaluator('prob')(p, loss),
                               torch.tensor([0.1, 0.8]))
    torch.testing.assert_close(ModelFeedbackEvaluator('loss')(p, loss), loss)
    with pytest.raises(ValueError):
        ModelFeedbackEvaluator('entropy')


def test_a_fake_without_dynamic_score_takes_its_static_quantile():
    """A fake the detector has not seen raw (kept in FreDA) gets the d at
    its static score's quantile, not the median: a low-q fake stays low."""
    labels = np.array([0, 1, 1, 1, 1, 1])
    q = np.array([np.nan, 0.0, 0.25, 0.5, 0.75, 1.0])
    d = np.array([np.nan, np.nan, 10.0, 20.0, 30.0, np.nan])
    fqs = FQSCombiner(alpha=1.0)(labels, q, d)
    # d ranks of the seen: 0, 0.5, 1; the unseen take quantiles 0 and 1
    np.testing.assert_allclose(fqs[1:], [0 + 0, 0 + 0.25, 0.5 + 0.5,
                                         1 + 0.75, 1 + 1])
    median = FQSCombiner(alpha=1.0, impute_dynamic='median')(labels, q, d)
    np.testing.assert_allclose(median[[1, 5]], [0.5, 1.5])
    with pytest.raises(ValueError, match='impute_dynamic'):
        FQSCombiner(impute_dynamic='mean')
