"""BatchFreDA: FreDA that FreqAugment(mix_in='preprocessor') leaves to the
data preprocessor, mixed on a whole batch."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmpretrain.structures import DataSample

from qcdet.datasets.transforms import FreqAugment, PackDeepfakeInputs
from qcdet.models.batch_augments import BatchFreDA
from qcdet.models.data_preprocessors import DeepfakeDataPreprocessor


def with_batch_freda():
    return DeepfakeDataPreprocessor(batch_augments=[dict(type='BatchFreDA')])


# ------------------------------------------- FreDA deferred to the batch
def _freda_batch(tmp_path, mix_in, dtype=np.uint8, **freda_args):
    """Packed and collated samples of FreqAugment(mix_in, **freda_args):
    two easy fakes, a hard fake and a real, each with its own paired real on
    disk."""
    rng = np.random.default_rng(0)
    freda = FreqAugment(mix_in=mix_in, **freda_args)
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


@pytest.mark.parametrize('freda_args', [
    dict(radius_ratio=0.3),
    dict(radius_ratio=(0.1, 0.6)),
    dict(radius_ratio=0.3, mask_edge='cosine', edge_width=0.15),
    dict(band=(2, 12), mask_edge='cosine', edge_width=3),
    dict(band=5, mask_shape='square'),
])
@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
def test_deferred_freda_equals_freda_in_the_pipeline(tmp_path, freda_args,
                                                     dtype):
    """The batched mix gives the images the per-image mix in the pipeline
    gives (each with its own sampled radius, hard or soft edge), rounded
    alike up to float ties; hard fakes and reals come out untouched, pairs
    dropped."""
    piped = DeepfakeDataPreprocessor()(
        _freda_batch(tmp_path, 'pipeline', dtype, **freda_args),
        training=True)['inputs']
    batch = _freda_batch(tmp_path, 'preprocessor', dtype, **freda_args)
    assert batch['inputs'].shape == (4, 6, 32, 40)
    deferred = with_batch_freda()(batch, training=True)['inputs']
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
    preprocessor = with_batch_freda()
    batch = _freda_batch(tmp_path, 'preprocessor', radius_ratio=0.3)
    odd = dict(inputs=batch['inputs'][:, :5],
               data_samples=batch['data_samples'])
    with pytest.raises(ValueError, match='even number of channels'):
        preprocessor(odd, training=True)
    mixed = dict(inputs=batch['inputs'],
                 data_samples=batch['data_samples'][:3] + [DataSample()])
    with pytest.raises(ValueError, match='1 of 4 samples lack'):
        preprocessor(mixed, training=True)


def test_band_converts_at_the_batch_size():
    """A band counts cycles of the image BatchFreDA mixes (after a
    resize): at 64 px band=8 is radius 0.25, at 32 px 0.5, and a soft
    edge's width converts alike."""
    rng = np.random.default_rng(3)
    inputs = torch.from_numpy(
        rng.integers(0, 256, (1, 6, 64, 64), dtype=np.uint8))
    freda = BatchFreDA()
    for size in (64, 32):
        batch = inputs[..., :size, :size].contiguous()
        # clones: with one image, mix writes into its input's channels
        by_band = freda.mix(batch.clone(), [dict(
            band=8, mask_shape='circle', mask_edge='cosine', edge_width=2)])
        by_ratio = freda.mix(batch.clone(), [dict(
            radius=16 / size, mask_shape='circle', mask_edge='cosine',
            edge_width=4 / size)])
        assert torch.equal(by_band, by_ratio)
        assert not torch.equal(by_band, batch[:, :3])


def test_mixed_pairs_are_consumed(tmp_path):
    """The pair channels and the key go once mixed, so nothing downstream
    mistakes the batch for one still carrying pairs."""
    batch = _freda_batch(tmp_path, 'preprocessor', radius_ratio=0.3)
    out = with_batch_freda()(batch, training=True)
    assert all('freda_deferred' not in s for s in out['data_samples'])
    assert [bool(s.freda_applied) for s in out['data_samples']] == [
        True, False, False, True]


def test_stacked_pairs_without_batch_freda_are_refused(tmp_path):
    """Stacked pairs reaching the model unmixed (no BatchFreDA configured,
    or such a pipeline outside training) fail with the fix, not in the
    backbone's first convolution."""
    batch = _freda_batch(tmp_path, 'preprocessor', radius_ratio=0.3)
    with pytest.raises(ValueError, match="add dict.type='BatchFreDA'"):
        DeepfakeDataPreprocessor()(batch, training=True)
    with pytest.raises(ValueError, match='runs while training only'):
        with_batch_freda()(batch, training=False)


def test_batch_freda_without_stacked_pairs_is_refused(tmp_path):
    batch = _freda_batch(tmp_path, 'pipeline', radius_ratio=0.3)
    with pytest.raises(ValueError, match='without stacked FreDA pairs'):
        with_batch_freda()(batch, training=True)
    with pytest.raises(ValueError, match='without stacked FreDA pairs'):
        BatchFreDA()(torch.zeros(2, 6, 4, 4), [DataSample(), DataSample()])
