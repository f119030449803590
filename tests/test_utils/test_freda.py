import numpy as np
import pytest
import torch

from qcdet.utils.freda import (
    MaskCache,
    freda_mask,
    freda_mix,
    low_pass,
    mask_columns,
)


def random_image(seed, height=24, width=31):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize('height,width', [(16, 16), (15, 21)])
def test_mask_layout_and_limits(height, width):
    mask = freda_mask(height, width, 0.3)
    assert mask.shape == (height, width // 2 + 1) and mask.dtype == bool
    assert mask[0, 0]  # DC is the lowest frequency
    assert not mask[height // 2, width // 2]  # the highest ones are out
    rows = np.arange(1, height)
    np.testing.assert_array_equal(mask[rows], mask[height - rows])  # +f, -f
    assert not freda_mask(height, width, 0.0).any()
    assert freda_mask(height, width, 1.42, 'circle').all()
    assert freda_mask(height, width, 1.01, 'square').all()
    assert freda_mask(height, width, 0.5, 'square').sum() > \
        freda_mask(height, width, 0.5, 'circle').sum()


def test_mix_identities():
    fake, real = random_image(2), random_image(3)
    ones = np.ones((24, 31 // 2 + 1), bool)
    np.testing.assert_allclose(freda_mix(fake, real, ones), real, atol=1e-3)
    np.testing.assert_array_equal(freda_mix(fake, real, ~ones), fake)


@pytest.mark.parametrize('shape', ['circle', 'square'])
def test_mix_takes_low_frequencies_from_the_real(shape):
    fake, real = random_image(4), random_image(5)
    mask = freda_mask(24, 31, 0.4, shape)
    assert 0 < mask.sum() < mask.size
    mixed = freda_mix(fake, real, mask)
    assert mixed.dtype == np.float32
    spectra = [np.fft.rfft2(x.astype(np.float64), axes=(0, 1))
               for x in (mixed, real, fake)]
    mixed_f, real_f, fake_f = spectra
    scale = np.abs(fake_f).max()
    inside, outside = mask[..., None].repeat(3, 2), ~mask[..., None]
    outside = outside.repeat(3, 2)
    assert np.abs(mixed_f - real_f)[inside].max() < 1e-5 * scale
    assert np.abs(mixed_f - fake_f)[outside].max() < 1e-5 * scale
    assert np.abs(real_f - fake_f)[inside].mean() > 1e-3 * scale  # non-trivial


@pytest.mark.parametrize('height,width,radius,shape',
                         [(256, 256, 0.1, 'circle'), (37, 50, 0.3, 'square'),
                          (24, 31, 0.0, 'circle'), (16, 17, 2.0, 'circle')])
def test_column_pruned_mix_equals_the_full_rfft2(height, width, radius,
                                                 shape):
    """The transform skips the spectrum columns the mask zeroes; the result
    is that of the full rfft2/irfft2 formula."""
    mask = freda_mask(height, width, radius, shape)
    cols = mask_columns(mask)
    assert not mask[:, cols.shape[1]:].any()
    assert cols.shape[1] == 0 or mask[:, cols.shape[1] - 1].any()
    fake = random_image(10, height, width).astype(np.float32)
    real = random_image(11, height, width).astype(np.float32)
    fake_t, real_t = (torch.from_numpy(x).permute(2, 0, 1)
                      for x in (fake, real))
    full = fake_t + torch.fft.irfft2(
        torch.fft.rfft2(real_t - fake_t) * torch.from_numpy(
            mask.astype(np.float32)), s=(height, width))
    np.testing.assert_allclose(freda_mix(fake, real, mask),
                               full.permute(1, 2, 0).numpy(), atol=1e-3)


def test_mix_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match='differ'):
        freda_mix(random_image(0), random_image(1, 24, 30),
                  np.ones((24, 16), bool))
    with pytest.raises(ValueError, match='rfft2 layout'):
        freda_mix(random_image(0), random_image(1), np.ones((24, 31), bool))


def test_low_pass_takes_one_mask_per_image_of_a_batch():
    """(N, 1, H, k) masks: each image is filtered with its own, as if alone
    (masks of different widths padded with zero columns)."""
    images = torch.from_numpy(np.stack(
        [random_image(20 + i, 32, 32).transpose(2, 0, 1) for i in range(3)]
    ).astype(np.float32))
    radii = [0.1, 0.3, 0.0]
    cols = [torch.from_numpy(mask_columns(freda_mask(32, 32, r)).astype(
        np.float32)) for r in radii]
    width = max(c.shape[1] for c in cols)
    batch_masks = torch.stack([
        torch.nn.functional.pad(c, (0, width - c.shape[1])) for c in cols
    ])[:, None]
    batched = low_pass(images, batch_masks)
    for i, c in enumerate(cols):
        torch.testing.assert_close(batched[i], low_pass(images[i], c),
                                   atol=1e-3, rtol=0)
    assert batched[2].abs().max() == 0  # radius 0 keeps nothing
    assert batched[0].abs().max() > 1  # the others keep something


def test_mask_cache_reuses_and_bounds_its_masks():
    cache = MaskCache(size=2)
    first = cache.get(8, 8, 0.2, 'circle')
    assert cache.get(8, 8, 0.2, 'circle') is first
    np.testing.assert_array_equal(
        first.numpy(), mask_columns(freda_mask(8, 8, 0.2)).astype(np.float32))
    assert cache.get(8, 8, 0.2, 'square') is not first
    cache.get(8, 8, 0.3, 'circle')  # a third key pushes the oldest out
    assert cache.get(8, 8, 0.2, 'circle') is not first
