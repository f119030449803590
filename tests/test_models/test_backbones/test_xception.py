import pytest
import torch
from mmengine.runner.checkpoint import load_state_dict

from qcdet.models.backbones import Xception

# Keys and shapes of Cadene's pretrainedmodels checkpoint
# (xception-b5690688.pth), pointwise kernels shown as the model holds them.
KNOWN_CHECKPOINT_SHAPES = {
    'conv1.weight': (32, 3, 3, 3),
    'bn1.running_mean': (32, ),
    'conv2.weight': (64, 32, 3, 3),
    'bn2.weight': (64, ),
    'block1.rep.0.conv1.weight': (64, 1, 3, 3),
    'block1.rep.0.pointwise.weight': (128, 64, 1, 1),
    'block1.rep.1.weight': (128, ),
    'block1.rep.3.pointwise.weight': (128, 128, 1, 1),
    'block1.skip.weight': (128, 64, 1, 1),
    'block1.skipbn.running_var': (128, ),
    'block2.rep.1.pointwise.weight': (256, 128, 1, 1),
    'block2.rep.4.pointwise.weight': (256, 256, 1, 1),
    'block3.rep.1.pointwise.weight': (728, 256, 1, 1),
    'block4.rep.1.conv1.weight': (728, 1, 3, 3),
    'block4.rep.7.pointwise.weight': (728, 728, 1, 1),
    'block4.rep.8.running_mean': (728, ),
    'block11.rep.8.bias': (728, ),
    'block12.rep.1.pointwise.weight': (728, 728, 1, 1),
    'block12.rep.4.pointwise.weight': (1024, 728, 1, 1),
    'block12.rep.5.weight': (1024, ),
    'block12.skip.weight': (1024, 728, 1, 1),
    'conv3.conv1.weight': (1024, 1, 3, 3),
    'conv3.pointwise.weight': (1536, 1024, 1, 1),
    'bn3.weight': (1536, ),
    'conv4.pointwise.weight': (2048, 1536, 1, 1),
    'bn4.running_var': (2048, ),
}


@pytest.fixture(scope='module')
def xception():
    return Xception()


def to_pretrainedmodels_layout(state_dict):
    """The model's weights as Cadene's checkpoint stores them."""
    checkpoint = {
        k: v.clone()
        for k, v in state_dict.items() if not k.endswith('num_batches_tracked')
    }
    for key, value in checkpoint.items():
        if key.endswith('pointwise.weight'):
            checkpoint[key] = value.flatten(1)
    checkpoint['fc.weight'] = torch.randn(1000, 2048)
    checkpoint['fc.bias'] = torch.randn(1000)
    return checkpoint


def randomise_(model):
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator))


def test_parameter_names_and_shapes_match_checkpoint(xception):
    state_dict = xception.state_dict()
    for key, shape in KNOWN_CHECKPOINT_SHAPES.items():
        assert key in state_dict, key
        assert tuple(state_dict[key].shape) == shape, key
    # Middle-flow blocks keep their shape and have no projection shortcut.
    assert 'block4.skip.weight' not in state_dict
    assert not any(k.startswith(('fc.', 'last_linear.')) for k in state_dict)
    # Keras' Xception has 22,855,952 trainable parameters, 2,049,000 of
    # them in the 1000-class classifier.
    assert sum(p.numel() for p in xception.parameters()) == \
        22_855_952 - 2_049_000


def test_forward_backward(xception):
    xception.train()
    x = torch.randn(2, 3, 64, 64)
    outs = xception(x)
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (2, 2048, 2, 2)
    assert (outs[0] >= 0).all()  # taken after the final ReLU
    xception.zero_grad()
    outs[0].mean().backward()
    assert xception.conv1.weight.grad is not None
    assert xception.conv1.weight.grad.abs().sum() > 0


def test_out_indices():
    model = Xception(out_indices=(4, 0, 2))
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [128, 728, 2048]
    assert model.out_channels == 2048
    with pytest.raises(ValueError, match='out_indices'):
        Xception(out_indices=(5, ))


def test_pretrained_round_trip(tmp_path):
    source = Xception()
    randomise_(source)
    checkpoint = to_pretrainedmodels_layout(source.state_dict())
    assert checkpoint['block1.rep.0.pointwise.weight'].shape == (128, 64)
    path = tmp_path / 'xception-imagenet.pth'
    torch.save(checkpoint, path)

    target = Xception(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    target.init_weights()
    loaded = target.state_dict()
    for key, value in source.state_dict().items():
        if key.endswith('num_batches_tracked'):
            continue
        assert torch.equal(loaded[key], value), key


def test_checkpoint_layout_loads_strictly():
    # No key of the checkpoint is left over or missing: the classifier is
    # dropped and 2-D pointwise kernels are accepted.
    source = Xception()
    randomise_(source)
    target = Xception()
    load_state_dict(
        target, to_pretrainedmodels_layout(source.state_dict()), strict=True)
    assert torch.equal(target.block12.rep[4].pointwise.weight,
                       source.block12.rep[4].pointwise.weight)
