import pytest
import timm
import torch
from safetensors.torch import save_file

from qcdet.models.backbones import TimmBackbone

SMALL = 'mobilenetv3_small_050'


@pytest.fixture(scope='module')
def efficientnet_b4():
    return TimmBackbone(model_name='efficientnet_b4')


def imagenet_checkpoint(model_name, seed=0):
    """State dict of a timm ImageNet classifier (random weights)."""
    torch.manual_seed(seed)
    return timm.create_model(model_name, num_classes=1000).state_dict()


def assert_loaded(backbone, checkpoint):
    loaded = backbone.model.state_dict()
    for key, value in loaded.items():
        assert torch.equal(value, checkpoint[key]), key


def test_efficientnet_b4_forward_backward(efficientnet_b4):
    x = torch.randn(2, 3, 64, 64)
    outs = efficientnet_b4(x)
    assert isinstance(outs, tuple) and len(outs) == 1
    assert outs[0].shape == (2, 1792, 2, 2)
    assert efficientnet_b4.out_channels == 1792
    outs[0].mean().backward()
    assert efficientnet_b4.model.conv_stem.weight.grad.abs().sum() > 0


def test_small_backbone_out_channels_match_output():
    backbone = TimmBackbone(model_name=SMALL, in_channels=4)
    outs = backbone(torch.randn(2, 4, 64, 64))
    assert outs[-1].shape[:2] == (2, backbone.out_channels)


def test_pretrained_without_local_path_is_refused():
    with pytest.raises(ValueError, match='checkpoint_path'):
        TimmBackbone(model_name=SMALL, pretrained=True)


def test_reserved_timm_kwargs_are_refused():
    with pytest.raises(ValueError, match='num_classes'):
        TimmBackbone(model_name=SMALL, num_classes=2)


def test_loads_local_checkpoint_without_classifier(tmp_path):
    checkpoint = imagenet_checkpoint(SMALL)
    assert 'classifier.weight' in checkpoint
    path = tmp_path / 'mobilenet.pth'
    torch.save(checkpoint, path)

    backbone = TimmBackbone(
        model_name=SMALL, pretrained=True, checkpoint_path=str(path))
    assert_loaded(backbone, checkpoint)
    # init_weights() (as the runner calls it) keeps the loaded weights.
    backbone.init_weights()
    assert_loaded(backbone, checkpoint)


def test_loads_wrapped_and_safetensors_checkpoints(tmp_path):
    checkpoint = imagenet_checkpoint(SMALL)
    wrapped = tmp_path / 'wrapped.pth'
    torch.save({'state_dict': {f'module.{k}': v
                               for k, v in checkpoint.items()}}, wrapped)
    assert_loaded(
        TimmBackbone(model_name=SMALL, checkpoint_path=str(wrapped)),
        checkpoint)

    safetensors = tmp_path / 'model.safetensors'
    save_file({k: v.contiguous() for k, v in checkpoint.items()},
              str(safetensors))
    assert_loaded(
        TimmBackbone(model_name=SMALL, checkpoint_path=str(safetensors)),
        checkpoint)


def test_rgb_checkpoint_seeds_other_stem_width(tmp_path):
    checkpoint = imagenet_checkpoint(SMALL)
    path = tmp_path / 'mobilenet.pth'
    torch.save(checkpoint, path)
    backbone = TimmBackbone(
        model_name=SMALL, in_channels=4, checkpoint_path=str(path))
    assert backbone.model.conv_stem.weight.shape[1] == 4
    assert torch.equal(backbone.model.blocks[0][0].conv_dw.weight,
                       checkpoint['blocks.0.0.conv_dw.weight'])


def test_mismatching_checkpoint_names_keys(tmp_path):
    checkpoint = imagenet_checkpoint(SMALL)
    del checkpoint['conv_head.weight']
    checkpoint['extra_layer.weight'] = torch.zeros(3)
    path = tmp_path / 'broken.pth'
    torch.save(checkpoint, path)
    with pytest.raises(RuntimeError) as error:
        TimmBackbone(model_name=SMALL, checkpoint_path=str(path))
    message = str(error.value)
    assert str(path) in message
    assert 'missing keys: conv_head.weight' in message
    assert 'unexpected keys: extra_layer.weight' in message


def test_checkpoint_of_another_model_names_shape_mismatches(tmp_path):
    path = tmp_path / 'mobilenet_100.pth'
    torch.save(imagenet_checkpoint('mobilenetv3_small_100'), path)
    with pytest.raises(RuntimeError) as error:
        TimmBackbone(model_name=SMALL, checkpoint_path=str(path))
    assert 'shape mismatches: ' in str(error.value)
    assert 'blocks.0.0.conv_pw.weight (checkpoint (16, 16, 1, 1), model ' \
        '(8, 16, 1, 1))' in str(error.value)


def test_missing_checkpoint_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        TimmBackbone(
            model_name=SMALL, checkpoint_path=str(tmp_path / 'nowhere.pth'))
