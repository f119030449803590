import numpy as np
import pytest
import torch

from qcdet.utils.freda import (
    MaskCache,
    band_to_ratio,
    freda_mask,
    freda_mix,
    low_pass,
    mask_args,
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


@pytest.mark.parametrize('height,width,radius,shape,edge',
                         [(256, 256, 0.1, 'circle', ()),
                          (37, 50, 0.3, 'square', ()),
                          (24, 31, 0.0, 'circle', ()),
                          (16, 17, 2.0, 'circle', ()),
                          (256, 256, 0.1, 'circle', ('cosine', 0.05)),
                          (37, 50, 0.3, 'square', ('cosine', 0.2)),
                          (24, 31, 0.05, 'circle', ('cosine', 0.3))])
def test_column_pruned_mix_equals_the_full_rfft2(height, width, radius,
                                                 shape, edge):
    """The transform skips the spectrum columns the mask zeroes; the result
    is that of the full rfft2/irfft2 formula, for hard and soft masks."""
    mask = freda_mask(height, width, radius, shape, *edge)
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


def test_mask_cache_keys_include_the_edge():
    cache = MaskCache()
    hard = cache.get(32, 32, 0.3, 'circle')
    soft = cache.get(32, 32, 0.3, 'circle', edge='cosine', edge_width=0.1)
    wider = cache.get(32, 32, 0.3, 'circle', edge='cosine', edge_width=0.2)
    assert len({id(hard), id(soft), id(wider)}) == 3
    assert cache.get(32, 32, 0.3, 'circle', edge='cosine',
                     edge_width=0.1) is soft
    np.testing.assert_array_equal(
        soft.numpy(), mask_columns(freda_mask(32, 32, 0.3, 'circle',
                                              'cosine', 0.1)))
    assert not torch.equal(soft, wider[:, :soft.shape[1]])


# ------------------------------------------------------- soft (cosine) edge
def full_radius(height, width, shape):
    """Normalised radius of every bin of the full fft2 spectrum."""
    fy = np.fft.fftfreq(height)[:, None] / 0.5
    fx = np.fft.fftfreq(width)[None, :] / 0.5
    if shape == 'circle':
        return np.hypot(fy, fx)
    return np.maximum(np.abs(fy), np.abs(fx))


@pytest.mark.parametrize('height,width', [(32, 32), (15, 21)])
@pytest.mark.parametrize('shape', ['circle', 'square'])
def test_cosine_mask_tapers_monotonically_from_one_to_zero(height, width,
                                                           shape):
    radius, width_ = 0.5, 0.3
    mask = freda_mask(height, width, radius, shape, 'cosine', width_)
    assert mask.shape == (height, width // 2 + 1)
    assert mask.dtype == np.float32
    r = full_radius(height, width, shape)[:, :width // 2 + 1]
    assert (mask[r <= radius - width_ / 2] == 1).all()  # well inside
    assert (mask[r >= radius + width_ / 2] == 0).all()  # well outside
    ramp = (mask > 0) & (mask < 1)
    assert ramp.any()
    assert (np.abs(r[ramp] - radius) < width_ / 2).all()
    order = np.argsort(r, axis=None, kind='stable')
    assert (np.diff(mask.ravel()[order]) <= 0).all()  # monotone in radius
    rows = np.arange(1, height)
    np.testing.assert_array_equal(mask[rows], mask[height - rows])  # +f, -f
    # the hard mask is the cosine's limit: both cut at the radius
    np.testing.assert_array_equal(
        freda_mask(height, width, radius, shape, 'cosine', 1e-9) > 0.5,
        freda_mask(height, width, radius, shape))


@pytest.mark.parametrize('height,width', [(32, 32), (15, 21), (24, 31)])
def test_soft_mix_is_real_and_matches_a_full_spectrum_reference(height,
                                                                width):
    """numpy's complex fft2 over the whole spectrum, with the raised cosine
    written out on every bin: its inverse is real (the mask is symmetric)
    and equals the rfft2-layout, column-pruned mix."""
    radius, edge_width = 0.4, 0.25
    r = full_radius(height, width, 'circle')
    taper = np.clip((r - (radius - edge_width / 2)) / edge_width, 0, 1)
    full_mask = 0.5 * (1 + np.cos(np.pi * taper))
    mask = freda_mask(height, width, radius, 'circle', 'cosine', edge_width)
    np.testing.assert_allclose(mask, full_mask[:, :width // 2 + 1],
                               atol=1e-6)
    fake = random_image(30, height, width).astype(np.float64)
    real = random_image(31, height, width).astype(np.float64)
    reference = fake + np.fft.ifft2(
        full_mask[..., None] * np.fft.fft2(real - fake, axes=(0, 1)),
        axes=(0, 1))
    assert np.abs(reference.imag).max() < 1e-9
    mixed = freda_mix(fake, real, mask)
    np.testing.assert_allclose(mixed, reference.real, atol=1e-3)
    assert np.abs(mixed - fake).max() > 1  # something was mixed


def test_mask_rejects_bad_edges():
    with pytest.raises(ValueError, match='edge must be one of'):
        freda_mask(8, 8, 0.3, 'circle', 'gaussian', 0.1)
    with pytest.raises(ValueError, match='edge_width > 0'):
        freda_mask(8, 8, 0.3, 'circle', 'cosine')
    with pytest.raises(ValueError, match='a hard mask has no taper'):
        freda_mask(8, 8, 0.3, 'circle', 'hard', 0.1)


# ------------------------------------------------------------------ band
def test_band_converts_on_the_shorter_side():
    assert band_to_ratio(3.2, 64, 64) == 0.1
    assert band_to_ratio(12.8, 256, 256) == 0.1
    assert band_to_ratio(8, 32, 40) == band_to_ratio(8, 40, 32) == 0.5
    legacy = dict(radius=0.1, mask_shape='square')
    assert mask_args(legacy, 64, 64) == mask_args(legacy, 256, 256) == dict(
        radius=0.1, shape='square', edge='hard', edge_width=0.0)
    soft = dict(band=8.0, mask_shape='circle', mask_edge='cosine',
                edge_width=2.0)
    assert mask_args(soft, 64, 64) == dict(radius=0.25, shape='circle',
                                           edge='cosine', edge_width=0.0625)
    assert mask_args(soft, 256, 256)['radius'] == 0.0625
