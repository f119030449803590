"""RECCE: reconstruction learned on reals only, classification guided by
the reconstruction error, QC feedback kept."""
from pathlib import Path

import detector_batches
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from qcdet.models.detectors import RECCEDetector
from qcdet.models.detectors.recce import (
    real_fake_metric_loss,
    real_reconstruction_loss,
)
from qcdet.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[3] / 'configs'


def make_batch(labels, size=64, seed=1):
    return detector_batches.make_batch(labels, size, seed, first_idx=0)


@pytest.fixture(scope='module')
def model():
    init_default_scope('qcdet')
    torch.manual_seed(0)
    return MODELS.build(
        Config.fromfile(CONFIGS / 'recce' /
                        'recce_mobilenetv3_1xb32_12e_demo.py').model)


def test_builds_from_config(model):
    assert isinstance(model, RECCEDetector)
    assert type(model.decoder).__name__ == 'ReconstructionDecoder'


def test_forward_backward_and_feedback(model):
    model.train()
    data = model.data_preprocessor(make_batch([0, 1, 0, 1]), True)
    out = model(**data, mode='loss')
    assert {'loss', 'acc', 'loss_reconstruction', 'loss_metric'} <= set(out)
    assert model.train_feedback['sample_idx'].tolist() == [0, 1, 2, 3]
    sum(v for k, v in out.items() if 'loss' in k).backward()
    # the decoder learns from the reconstruction loss
    assert model.decoder.to_image.weight.grad.abs().sum() > 0
    model.zero_grad()

    model.eval()
    assert model(data['inputs'], mode='tensor').shape == (4, 2)
    preds = model(data['inputs'], data['data_samples'], mode='predict')
    assert preds[0].pred_score.shape == (2, )


def test_reconstruction_of_the_image_size(model):
    model.eval()
    data = model.data_preprocessor(make_batch([0, 1]), False)
    _, reconstruction = model._forward_parts(data['inputs'])
    assert reconstruction.shape == data['inputs'].shape


def test_reconstruction_loss_counts_reals_only():
    inputs = torch.zeros(4, 3, 8, 8)
    reconstruction = torch.zeros(4, 3, 8, 8)
    reconstruction[1] = 5.0  # a badly reconstructed fake
    reconstruction[3] = 7.0  # another one
    labels = torch.tensor([0, 1, 0, 1])
    assert real_reconstruction_loss(reconstruction, inputs,
                                    labels).item() == 0
    reconstruction[2] = 2.0  # one of the two reals is off by 2
    assert real_reconstruction_loss(reconstruction, inputs,
                                    labels).item() == pytest.approx(1.0)
    # no real in the batch: zero, and still differentiable
    reconstruction.requires_grad_(True)
    loss = real_reconstruction_loss(reconstruction, inputs,
                                    torch.tensor([1, 1, 1, 1]))
    assert loss.item() == 0
    loss.backward()


def test_fakes_get_no_reconstruction_gradient(model):
    model.train()
    data = model.data_preprocessor(make_batch([1, 1, 1]), True)
    out = model(**data, mode='loss')
    assert out['loss_reconstruction'].item() == 0
    out['loss_reconstruction'].backward()
    grad = model.decoder.to_image.weight.grad
    assert grad is None or grad.abs().sum() == 0
    model.zero_grad()


def test_metric_loss_prefers_compact_reals_far_from_fakes():
    labels = torch.tensor([0, 0, 1, 1])
    good = torch.tensor([[1.0, 0], [1.0, 0.01], [-1.0, 0], [-1.0, 0.2]])
    bad = torch.tensor([[1.0, 0], [0, 1.0], [1.0, 0.1], [0.1, 1.0]])
    assert real_fake_metric_loss(good, labels) < \
        real_fake_metric_loss(bad, labels)
    assert real_fake_metric_loss(good, labels).item() == pytest.approx(
        0, abs=1e-3)


def test_bad_decoder_index_is_reported(model):
    model.decoder_in_index = 3
    try:
        with pytest.raises(IndexError, match='decoder_in_index=3'):
            model(torch.zeros(1, 3, 64, 64), mode='tensor')
    finally:
        model.decoder_in_index = 0

