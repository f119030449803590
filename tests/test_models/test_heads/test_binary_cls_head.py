import pytest
import torch
import torch.nn.functional as F

from qcdet.models.heads import BinaryClsHead


def test_forward_gives_two_logits():
    head = BinaryClsHead(in_channels=8)
    assert head(torch.randn(3, 8)).shape == (3, 2)


def test_rejects_features_of_wrong_width():
    head = BinaryClsHead(in_channels=8)
    with pytest.raises(ValueError, match='in_channels'):
        head(torch.randn(3, 16))


def test_per_sample_loss_is_cross_entropy_of_each_sample():
    head = BinaryClsHead(in_channels=4)
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.5], [-3.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    losses = head.per_sample_loss(logits, labels)
    expected = -logits.log_softmax(dim=1)[torch.arange(3), labels]
    assert losses.shape == (3, )
    assert torch.allclose(losses, expected)


def test_label_smoothing():
    eps = 0.2
    head = BinaryClsHead(in_channels=4, label_smoothing=eps)
    logits = torch.tensor([[2.0, -1.0], [-3.0, 1.0]])
    labels = torch.tensor([0, 1])
    log_probs = logits.log_softmax(dim=1)
    nll = -log_probs[torch.arange(2), labels]
    expected = (1 - eps) * nll - eps * log_probs.mean(dim=1)
    assert torch.allclose(head.per_sample_loss(logits, labels), expected)
    assert not torch.allclose(expected, F.cross_entropy(
        logits, labels, reduction='none'))


def test_dropout_only_in_training():
    head = BinaryClsHead(in_channels=64, dropout=0.5)
    feats = torch.randn(4, 64)
    head.eval()
    assert torch.equal(head(feats), head(feats))
    head.train()
    torch.manual_seed(0)
    assert not torch.equal(head(feats), head(feats))


@pytest.mark.parametrize('kwargs', [dict(dropout=1.0),
                                    dict(label_smoothing=-0.1)])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        BinaryClsHead(in_channels=4, **kwargs)
