"""Pretrained weights load strictly, with a clear error when they do not fit,
for qcdet's and mmpretrain's backbones alike."""
import pytest
import torch

from qcdet.registry import MODELS


def detector(backbone, in_channels):
    return MODELS.build(dict(
        type='DeepfakeDetector', backbone=backbone,
        head=dict(type='BinaryClsHead', in_channels=in_channels)))


CONVNEXT = dict(type='mmpretrain.ConvNeXt', arch='atto')


def test_mmpretrain_convnext_trains_inside_a_detector():
    model = detector(CONVNEXT, 320)
    loss = model(torch.rand(2, 3, 64, 64), mode='tensor').sum()
    loss.backward()
    assert model.backbone.downsample_layers[0][0].weight.grad is not None


def test_pretrained_backbone_from_a_classifier_checkpoint(tmp_path):
    source = detector(CONVNEXT, 320)
    # a classifier's checkpoint: backbone weights under "backbone.", a head
    path = tmp_path / 'convnext_cls.pth'
    torch.save({'state_dict': source.state_dict()}, path)

    target = detector(dict(CONVNEXT, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.')), 320)
    target.init_weights()
    for key, value in source.backbone.state_dict().items():
        torch.testing.assert_close(target.backbone.state_dict()[key], value)

    wrong = detector(dict(CONVNEXT, init_cfg=dict(
        type='Pretrained', checkpoint=str(path))), 320)
    with pytest.raises(RuntimeError) as error:
        wrong.init_weights()
    message = str(error.value)
    assert str(path) in message and "prefix='backbone.'" in message
    assert 'unexpected key' in message and 'missing keys' in message


def test_strict_false_keeps_mmengine_behaviour(tmp_path):
    model = detector(CONVNEXT, 320)
    key, value = next(iter(model.backbone.state_dict().items()))
    path = tmp_path / 'partial.pth'
    torch.save({'state_dict': {key: torch.full_like(value, 0.5)}}, path)
    model = detector(dict(CONVNEXT, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), strict=False)), 320)
    model.init_weights()  # loads what fits, logs the rest
    assert (model.backbone.state_dict()[key] == 0.5).all()
