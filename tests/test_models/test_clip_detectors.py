"""CLIP-style ViT backbone: which parameters train for the linear probe and
LayerNorm-only tuning, and a few training steps of a detector on it."""
import pytest
import torch
from mmpretrain.structures import DataSample

from qcdet.registry import MODELS

TINY = dict(type='ClipViTBackbone', model_name='vit_tiny_patch16_224',
            img_size=64)


def build_detector(trainable):
    return MODELS.build(dict(
        type='DeepfakeDetector',
        backbone=dict(TINY, trainable=trainable),
        head=dict(type='BinaryClsHead', in_channels=192, dropout=0.0)))


def trainable_names(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


def test_probe_trains_only_the_head_and_keeps_backbone_in_eval():
    model = build_detector('none')
    assert trainable_names(model) == {n for n, _ in
                                      model.head.named_parameters(
                                          prefix='head')}
    model.train()
    assert not model.backbone.training and model.head.training


def test_layernorm_tuning_trains_only_layernorms_and_head():
    model = build_detector('layernorm')
    norms = {f'backbone.{n}.{p}' for n, m in model.backbone.named_modules()
             if isinstance(m, torch.nn.LayerNorm) for p in ('weight', 'bias')}
    head = {n for n, _ in model.head.named_parameters(prefix='head')}
    assert norms and trainable_names(model) == norms | head


@pytest.mark.parametrize('trainable', ['none', 'layernorm', 'all'])
def test_detector_trains_a_few_steps(trainable):
    torch.manual_seed(0)
    model = build_detector(trainable)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.Adam(params, lr=1e-3)
    inputs = torch.randn(4, 3, 64, 64)
    samples = [DataSample().set_gt_label(i % 2) for i in range(4)]
    frozen = {n: p.clone() for n, p in model.named_parameters()
              if not p.requires_grad}
    model.train()
    for _ in range(2):
        loss = model(inputs, samples, mode='loss')['loss']
        optim.zero_grad()
        loss.backward()
        optim.step()
    for name, value in frozen.items():
        torch.testing.assert_close(dict(model.named_parameters())[name],
                                   value, msg=name)
    preds = model(inputs, mode='predict')
    assert len(preds) == 4 and preds[0].pred_score.shape == (2, )


def test_rejects_unknown_trainable():
    with pytest.raises(ValueError, match='trainable'):
        MODELS.build(dict(TINY, trainable='lora'))
