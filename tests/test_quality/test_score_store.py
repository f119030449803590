import numpy as np
import pytest
import torch

from qcdet.quality import QualityScoreStore


def make_store():
    return QualityScoreStore(np.array([0, 1, 1, 1]),
                             np.array([np.nan, 0.2, 0.5, np.nan]))


def test_feedback_is_averaged_per_epoch_and_kept_when_unseen():
    store = make_store()
    store.record(torch.tensor([1, 2, 1]), torch.tensor([0.2, 0.6, 0.4]))
    assert store.end_epoch() == 2
    np.testing.assert_allclose(store.dynamic, [np.nan, 0.3, 0.6, np.nan])
    store.record(torch.tensor([2]), torch.tensor([0.0]))
    assert store.end_epoch() == 1
    # sample 1 unseen this epoch keeps 0.3; accumulators were reset
    np.testing.assert_allclose(store.dynamic, [np.nan, 0.3, 0.0, np.nan])


def test_out_of_range_index_is_a_clear_error():
    with pytest.raises(IndexError, match='sample_idx'):
        make_store().record(torch.tensor([4]), torch.tensor([0.1]))


def test_state_dict_round_trip_through_safe_torch_load(tmp_path):
    store = make_store()
    store.record(torch.tensor([3]), torch.tensor([0.7]))
    store.end_epoch()
    store.fqs = np.array([np.nan, 1.0, 0.5, 0.2])
    torch.save(store.state_dict(), tmp_path / 's.pth')
    state = torch.load(tmp_path / 's.pth', weights_only=True)
    restored = make_store()
    restored.load_state_dict(state)
    np.testing.assert_array_equal(restored.dynamic, store.dynamic)
    np.testing.assert_array_equal(restored.fqs, store.fqs)
    with pytest.raises(ValueError, match='samples'):
        QualityScoreStore(np.zeros(2), np.zeros(2)).load_state_dict(state)


def test_momentum_smooths_the_dynamic_score_over_epochs():
    store = QualityScoreStore(np.array([1, 1]), np.array([np.nan, np.nan]),
                              momentum=0.75)
    store.record(torch.tensor([0]), torch.tensor([1.0]))
    store.end_epoch()
    assert store.dynamic[0] == 1.0  # the first d is taken as it is
    store.record(torch.tensor([0, 1]), torch.tensor([0.0, 0.4]))
    store.end_epoch()
    np.testing.assert_allclose(store.dynamic, [0.75, 0.4])
    with pytest.raises(ValueError, match='momentum'):
        QualityScoreStore(np.array([1]), np.array([0.1]), momentum=1.0)
