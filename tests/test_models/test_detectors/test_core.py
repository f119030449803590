"""CORE: two views, a consistency term that vanishes only for identical
representations, and the usual QC feedback."""
import detector_batches
import pytest
import torch

from qcdet.models.detectors import COREDetector
from qcdet.models.detectors.core import augment_view, consistency_loss


def make_batch(labels, size=64, seed=1):
    return detector_batches.make_batch(labels, size, seed, first_idx=10)


def build(**overrides):
    return detector_batches.build_detector(
        'configs/core/core_mobilenetv3_1xb32_12e_demo.py', **overrides)


@pytest.fixture(scope='module')
def model():
    return build()


def test_builds_from_config(model):
    assert isinstance(model, COREDetector)
    assert model.consistency_weight == 1.0


def test_tensor_predict_and_backward(model):
    data = model.data_preprocessor(make_batch([0, 1, 1]), True)
    model.train()
    out = model(**data, mode='loss')
    assert {'loss', 'acc', 'loss_cls_view2', 'loss_consistency'} <= set(out)
    sum(v for k, v in out.items() if 'loss' in k).backward()
    assert model.backbone.model.conv_stem.weight.grad.abs().sum() > 0
    model.zero_grad()

    model.eval()
    assert model(data['inputs'], mode='tensor').shape == (3, 2)
    preds = model(data['inputs'], data['data_samples'], mode='predict')
    assert all(torch.isclose(p.pred_score.sum(), torch.tensor(1.0))
               for p in preds)


def test_loss_sets_feedback_for_the_original_view(model):
    model.train()
    data = model.data_preprocessor(make_batch([0, 1, 0, 1]), True)
    model(**data, mode='loss')
    feedback = model.train_feedback
    assert feedback['sample_idx'].tolist() == [10, 11, 12, 13]
    assert feedback['label'].tolist() == [0, 1, 0, 1]
    assert feedback['fake_prob'].shape == (4, )


def test_consistency_loss_zero_only_for_identical_views():
    rep = torch.randn(5, 8)
    assert consistency_loss(rep, rep).item() == pytest.approx(0, abs=1e-6)
    # scaling keeps the direction, so the cosine term still vanishes
    assert consistency_loss(rep, 3 * rep).item() == pytest.approx(0, abs=1e-6)
    assert consistency_loss(rep, torch.randn(5, 8)).item() > 0


def test_identical_views_give_zero_consistency_in_the_model():
    no_aug = build(view_aug=dict(flip_prob=0.0, crop_scale=(1.0, 1.0),
                                 brightness=0.0, contrast=0.0))
    no_aug.train()
    data = no_aug.data_preprocessor(make_batch([0, 1, 1]), True)
    out = no_aug(**data, mode='loss')
    assert out['loss_consistency'].item() == pytest.approx(0, abs=1e-6)
    # same views: both halves of the cross-entropy agree
    assert out['loss'].item() == pytest.approx(out['loss_cls_view2'].item(),
                                               rel=1e-4)

    augmenting = build()
    augmenting.train()
    torch.manual_seed(3)
    out = augmenting(**data, mode='loss')
    assert out['loss_consistency'].item() > 0


def test_augment_view_changes_images_but_not_shape():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 16, 16)
    view = augment_view(x)
    assert view.shape == x.shape
    assert not torch.allclose(view, x)
    identity = augment_view(x, flip_prob=0.0, crop_scale=(1.0, 1.0),
                            brightness=0.0, contrast=0.0)
    assert torch.allclose(identity, x, atol=1e-5)
    flipped = augment_view(x, flip_prob=1.0, crop_scale=(1.0, 1.0),
                           brightness=0.0, contrast=0.0)
    assert torch.allclose(flipped, x.flip(-1), atol=1e-5)


def test_bad_view_aug_key_is_an_error():
    with pytest.raises(ValueError, match='unknown keys'):
        build(view_aug=dict(hue=0.1))

