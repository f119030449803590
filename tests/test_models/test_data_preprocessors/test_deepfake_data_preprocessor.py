import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmpretrain.structures import DataSample

from qcdet.datasets.transforms import FreqAugment, PackDeepfakeInputs
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


# ------------------------------------------- FreDA deferred to the batch
def _freda_batch(tmp_path, mix_in, radius_ratio, dtype=np.uint8):
    """Packed and collated samples of FreqAugment(mix_in): two easy fakes,
    a hard fake and a real, each with its own paired real on disk."""
    rng = np.random.default_rng(0)
    freda = FreqAugment(radius_ratio=radius_ratio, mix_in=mix_in)
    pack = PackDeepfakeInputs()
    np.random.seed(1)  # the radius draws, alike in both modes
    items = []
    for i, (label, easy) in enumerate([(1, True), (1, False), (0, False),
                                       (1, True)]):
        fake = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
        real = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
        path = str(tmp_path / f'real_{i}.png')
        cv2.imwrite(path, real)
        results = dict(img=fake.astype(dtype), label=label, qc_easy=easy,
                       pair_path=path, img_path=f'fake_{i}.png')
        items.append(pack(freda(results)))
    return default_collate(items)


@pytest.mark.parametrize('radius_ratio', [0.3, (0.1, 0.6)])
@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
def test_deferred_freda_equals_freda_in_the_pipeline(tmp_path, radius_ratio,
                                                     dtype):
    """The batched mix gives the images the per-image mix in the pipeline
    gives (each with its own sampled radius), rounded alike up to float
    ties; hard fakes and reals come out untouched, pairs dropped."""
    preprocessor = DeepfakeDataPreprocessor()
    piped = preprocessor(_freda_batch(tmp_path, 'pipeline', radius_ratio,
                                      dtype), training=True)['inputs']
    batch = _freda_batch(tmp_path, 'preprocessor', radius_ratio, dtype)
    assert batch['inputs'].shape == (4, 6, 32, 40)
    deferred = preprocessor(batch, training=True)['inputs']
    assert deferred.shape == piped.shape == (4, 3, 32, 40)
    diff = (deferred - piped).abs()
    if dtype == np.uint8:
        assert diff.max() <= 1 and (diff == 0).float().mean() > 0.999
    else:
        assert diff.max() < 1e-3
    untouched = batch['inputs'][[1, 2], :3].float()
    assert torch.equal(deferred[[1, 2]], untouched)
    for i in (0, 3):  # the easy fakes did change
        assert (deferred[i] - batch['inputs'][i, :3].float()).abs().max() > 5


def test_deferred_freda_rejects_odd_channels_and_mixed_batches(tmp_path):
    preprocessor = DeepfakeDataPreprocessor()
    batch = _freda_batch(tmp_path, 'preprocessor', 0.3)
    odd = dict(inputs=batch['inputs'][:, :5],
               data_samples=batch['data_samples'])
    with pytest.raises(ValueError, match='even number of channels'):
        preprocessor(odd)
    mixed = dict(inputs=batch['inputs'],
                 data_samples=batch['data_samples'][:3] + [DataSample()])
    with pytest.raises(ValueError, match='1 of 4 samples lack'):
        preprocessor(mixed)


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
