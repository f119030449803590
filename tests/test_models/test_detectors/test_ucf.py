"""UCF: content and forgery encoders, method-specific targets from the
configured method list, reconstruction, and the QC feedback."""
import detector_batches
import pytest
import torch
from mmpretrain.structures import DataSample

from qcdet.models.detectors import UCFDetector
from qcdet.models.detectors.ucf import (
    IGNORE_INDEX,
    pairwise_contrastive_loss,
    partner_indices,
)

DEMO = 'configs/ucf/ucf_mobilenetv3_1xb32_12e_demo.py'


def make_batch(labels_and_methods, size=64):
    generator = torch.Generator().manual_seed(1)
    inputs, samples = [], []
    for i, (label, method) in enumerate(labels_and_methods):
        inputs.append(torch.randint(0, 256, (3, size, size),
                                    dtype=torch.uint8, generator=generator))
        metainfo = dict(sample_idx=i)
        if method is not None:
            metainfo['method'] = method
        samples.append(DataSample(metainfo=metainfo).set_gt_label(label))
    return dict(inputs=inputs, data_samples=samples)


def build(**overrides):
    return detector_batches.build_detector(DEMO, **overrides)


@pytest.fixture(scope='module')
def model():
    return build()


def test_builds_two_encoders(model):
    assert isinstance(model, UCFDetector)
    assert model.content_backbone is not model.backbone
    assert model.methods[0] == 'real'


def test_forward_backward_and_feedback(model):
    model.train()
    batch = [(0, 'real'), (1, 'blend_swap'), (1, 'upsample'), (0, 'real')]
    data = model.data_preprocessor(make_batch(batch), True)
    out = model(**data, mode='loss')
    assert {'loss', 'acc', 'loss_specific', 'loss_reconstruction',
            'loss_contrastive', 'acc_specific'} <= set(out)
    assert model.train_feedback['sample_idx'].tolist() == [0, 1, 2, 3]
    assert model.train_feedback['label'].tolist() == [0, 1, 1, 0]
    sum(v for k, v in out.items() if 'loss' in k).backward()
    for part in (model.backbone, model.content_backbone, model.decoder,
                 model.specific_head):
        grads = [p.grad for p in part.parameters() if p.grad is not None]
        assert grads and sum(g.abs().sum() for g in grads) > 0
    model.zero_grad()

    model.eval()
    assert model(data['inputs'], mode='tensor').shape == (4, 2)
    preds = model(data['inputs'], data['data_samples'], mode='predict')
    assert preds[0].pred_score.shape == (2, )


def test_specific_targets_follow_the_method_list(model):
    samples = make_batch([(0, 'real'), (1, 'texture_noise'),
                          (1, 'blend_swap'), (1, 'Deepfakes'),
                          (1, None)])['data_samples']
    assert model.method_targets(samples).tolist() == [
        0, 4, 1, IGNORE_INDEX, IGNORE_INDEX
    ]
    reordered = build(methods=['texture_noise', 'real', 'blend_swap'])
    assert reordered.method_targets(samples).tolist() == [
        1, 0, 2, IGNORE_INDEX, IGNORE_INDEX
    ]
    assert reordered.specific_head[-1].out_features == 3


def test_unknown_methods_only_give_a_zero_specific_loss(model):
    model.train()
    data = model.data_preprocessor(
        make_batch([(0, 'elsewhere'), (1, 'unknown')]), True)
    out = model(**data, mode='loss')
    assert out['loss_specific'].item() == 0
    assert 'acc_specific' not in out
    assert torch.isfinite(sum(v for k, v in out.items() if 'loss' in k))


def test_partners_have_the_other_label():
    labels = torch.tensor([0, 1, 1, 0, 1])
    partners = partner_indices(labels)
    assert (labels[partners] != labels).all()
    one_label = partner_indices(torch.tensor([1, 1, 1]))
    assert (one_label != torch.arange(3)).all()


def test_contrastive_loss_groups_by_label_and_ignores_unknowns():
    feats = torch.tensor([[0.0, 0], [0.1, 0], [5.0, 0], [5.1, 0]])
    grouped = torch.tensor([0, 0, 1, 1])
    mixed = torch.tensor([0, 1, 0, 1])
    assert pairwise_contrastive_loss(feats, grouped, 3.0) < \
        pairwise_contrastive_loss(feats, mixed, 3.0)
    ignored = torch.tensor([0, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX])
    assert pairwise_contrastive_loss(feats, ignored, 3.0).item() == 0


def test_methods_must_be_distinct():
    with pytest.raises(ValueError, match='distinct'):
        build(methods=['real', 'real'])
