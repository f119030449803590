
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
