import argparse

import pytest
import torch
from mmpretrain.structures import DataSample

from qcdet.models.data_preprocessors import DeepfakeDataPreprocessor


def test_stacks_swaps_channels_and_normalises():
    preprocessor = DeepfakeDataPreprocessor(
        mean=[10.0, 20.0, 30.0], std=[2.0, 4.0, 5.0], bgr_to_rgb=True)
    bgr = torch.zeros(3, 4, 5, dtype=torch.uint8)
    bgr[0], bgr[1], bgr[2] = 50, 100, 200  # B, G, R
    samples = [DataSample().set_gt_label(i) for i in (0, 1)]
    out = preprocessor(dict(inputs=[bgr, bgr.clone()], data_samples=samples))

    inputs = out['inputs']
    assert inputs.shape == (2, 3, 4, 5) and inputs.dtype == torch.float32
    # RGB order, then (x - mean) / std per channel.
    assert torch.allclose(inputs[:, 0], torch.full((2, 4, 5), 95.0))
    assert torch.allclose(inputs[:, 1], torch.full((2, 4, 5), 20.0))
    assert torch.allclose(inputs[:, 2], torch.full((2, 4, 5), 4.0))
    # Data samples come back as they went in (moved to the model's device).
    assert [int(s.gt_label) for s in out['data_samples']] == [0, 1]


def test_without_normalisation_only_converts_to_float():
    preprocessor = DeepfakeDataPreprocessor()
    img = torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)
    out = preprocessor(dict(inputs=[img]))
    assert torch.equal(out['inputs'][0], img.float())
    assert out['data_samples'] is None


def test_refuses_images_of_different_sizes():
    preprocessor = DeepfakeDataPreprocessor()
    inputs = [
        torch.zeros(3, 8, 8, dtype=torch.uint8),
        torch.zeros(3, 8, 10, dtype=torch.uint8)
    ]
    with pytest.raises(ValueError, match=r'\(3, 8, 10\)'):
        preprocessor(dict(inputs=inputs))


@pytest.mark.parametrize('channels_last', [False, True])
def test_channels_last_changes_the_layout_not_the_values(channels_last):
    img = torch.randint(0, 256, (3, 6, 5), dtype=torch.uint8)
    plain = DeepfakeDataPreprocessor(mean=[1.0] * 3, std=[2.0] * 3,
                                     bgr_to_rgb=True)
    switched = DeepfakeDataPreprocessor(mean=[1.0] * 3, std=[2.0] * 3,
                                        bgr_to_rgb=True,
                                        channels_last=channels_last)
    expected = plain(dict(inputs=[img, img]))['inputs']
    out = switched(dict(inputs=[img, img]))['inputs']
    assert torch.equal(out, expected)
    assert out.is_contiguous(
        memory_format=torch.channels_last) == channels_last
    assert out.is_contiguous() != channels_last


class AddOne:
    """A batch augment: adds 1 to every pixel and records its call."""

    def __init__(self):
        self.calls = []

    def __call__(self, inputs, data_samples):
        self.calls.append((inputs.shape, inputs.dtype))
        return inputs + 1, data_samples


def test_batch_augments_see_stacked_pixels_in_training_only():
    """Like mmpretrain's ClsDataPreprocessor: batch augments run on the
    stacked batch while training, here before the channel swap and
    normalisation (FreDA rounds to pixel values)."""
    augment = AddOne()
    preprocessor = DeepfakeDataPreprocessor(
        mean=[0.0] * 3, std=[2.0] * 3, bgr_to_rgb=True,
        batch_augments=[augment])
    img = torch.zeros(3, 4, 4, dtype=torch.uint8)
    img[0] = 10  # blue
    trained = preprocessor(dict(inputs=[img, img]), training=True)['inputs']
    assert augment.calls == [((2, 3, 4, 4), torch.uint8)]
    assert torch.equal(trained[:, 2], torch.full((2, 4, 4), 5.5))
    assert torch.equal(trained[:, 0], torch.full((2, 4, 4), 0.5))
    tested = preprocessor(dict(inputs=[img, img]))['inputs']
    assert len(augment.calls) == 1
    assert torch.equal(tested[:, 2], torch.full((2, 4, 4), 5.0))


def test_batch_augments_are_built_from_the_registry():
    from qcdet.models.batch_augments import BatchFreDA
    preprocessor = DeepfakeDataPreprocessor(
        batch_augments=[dict(type='BatchFreDA')])
    assert isinstance(preprocessor.batch_augments[0], BatchFreDA)
    named = DeepfakeDataPreprocessor(batch_augments=['BatchFreDA'])
    assert isinstance(named.batch_augments[0], BatchFreDA)
    with pytest.raises(KeyError, match='NoSuchAugment'):
        DeepfakeDataPreprocessor(batch_augments=[dict(type='NoSuchAugment')])
    with pytest.raises(TypeError, match='registered name or a callable'):
        DeepfakeDataPreprocessor(batch_augments=[3])


def test_batch_augments_from_the_command_line():
    """``--cfg-options ...batch_augments=[BatchFreDA]`` gives a list of
    names (MMEngine's DictAction has no dicts), which builds."""
    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args([
        '--cfg-options',
        'model.data_preprocessor.batch_augments=[BatchFreDA]'
    ])
    cfg = Config(dict(model=dict(data_preprocessor=dict(
        type='DeepfakeDataPreprocessor'))))
    cfg.merge_from_dict(args.cfg_options)
    preprocessor = DeepfakeDataPreprocessor(
        **{k: v for k, v in cfg.model.data_preprocessor.items()
           if k != 'type'})
    assert [type(a).__name__ for a in preprocessor.batch_augments] == [
        'BatchFreDA']
