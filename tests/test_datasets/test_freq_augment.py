import cv2
import numpy as np
import pytest
import torch

from qcdet.datasets.transforms.freq_augment import (FreqAugment, freda_mask,
                                                    freda_mix, mask_columns)
from qcdet.registry import TRANSFORMS


def random_image(seed, height=24, width=31):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.fixture
def pair(tmp_path):
    """A fake image in memory and its real written losslessly to disk."""
    fake, real = random_image(0), random_image(1)
    path = tmp_path / 'real.png'
    assert cv2.imwrite(str(path), real)
    return fake, real, str(path)


def fake_results(fake, pair_path, easy=True, label=1):
    return dict(img=fake.copy(), label=label, qc_easy=easy,
                pair_path=pair_path, img_path='fake.png')


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


def test_transform_all_ones_gives_the_real_and_zero_the_fake(pair):
    fake, real, path = pair
    out = FreqAugment(radius_ratio=2.0)(fake_results(fake, path))
    assert out['freda_applied'] and out['img'].dtype == np.uint8
    np.testing.assert_array_equal(out['img'], real)
    out = FreqAugment(radius_ratio=0.0)(fake_results(fake, path))
    assert out['freda_applied']
    np.testing.assert_array_equal(out['img'], fake)


def test_transform_rounds_and_clips_the_float_mix(pair):
    fake, real, path = pair
    out = FreqAugment(radius_ratio=0.3, mask_shape='square')(
        fake_results(fake, path))
    mixed = freda_mix(fake, real, freda_mask(24, 31, 0.3, 'square'))
    assert mixed.min() < 0 or mixed.max() > 255  # clipping is exercised
    expected = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    assert out['img'].shape == fake.shape and out['img'].dtype == np.uint8
    assert np.abs(out['img'].astype(int) - expected).max() <= 1
    assert not np.array_equal(out['img'], fake)


def test_only_easy_fakes_change_and_never_reals(pair):
    fake, _, path = pair
    freda = FreqAugment(apply_to='easy')
    for label, easy, changed in [(1, True, True), (1, False, False),
                                 (0, True, False), (0, False, False)]:
        out = freda(fake_results(fake, path, easy=easy, label=label))
        assert out['freda_applied'] is changed
        assert np.array_equal(out['img'], fake) is not changed
    results = fake_results(fake, path)
    del results['qc_easy']
    assert not freda(results)['freda_applied']


def test_all_fakes_ignores_the_easy_flag_but_not_the_label(pair):
    fake, _, path = pair
    freda = FreqAugment(apply_to='all_fakes')
    assert freda(fake_results(fake, path, easy=False))['freda_applied']
    real_out = freda(fake_results(fake, path, easy=True, label=0))
    assert not real_out['freda_applied']
    np.testing.assert_array_equal(real_out['img'], fake)


def test_prob_zero_leaves_everything_unchanged(pair):
    fake, _, path = pair
    out = FreqAugment(prob=0.0, apply_to='all_fakes')(fake_results(fake, path))
    assert not out['freda_applied']
    np.testing.assert_array_equal(out['img'], fake)


def test_unpaired_fakes_pass_through_and_are_counted():
    fake = random_image(6)
    freda = FreqAugment()
    out = freda(fake_results(fake, None))
    results = fake_results(fake, None)
    del results['pair_path']
    freda(results)
    assert freda.num_unpaired == 2
    assert not out['freda_applied']
    np.testing.assert_array_equal(out['img'], fake)


def test_pair_of_other_size_is_resized_and_counted(tmp_path):
    fake = random_image(7)
    path = tmp_path / 'big_real.png'
    cv2.imwrite(str(path), random_image(8, 48, 62))
    freda = FreqAugment(radius_ratio=2.0)
    out = freda(fake_results(fake, str(path)))
    assert out['img'].shape == fake.shape and freda.num_resized == 1


def test_missing_pair_file_names_the_path(tmp_path):
    missing = str(tmp_path / 'nowhere.png')
    with pytest.raises(FileNotFoundError, match='nowhere.png'):
        FreqAugment()(fake_results(random_image(0), missing))


def test_float_images_stay_float(pair):
    fake, real, path = pair
    out = FreqAugment(radius_ratio=2.0)(
        fake_results(fake.astype(np.float32), path))
    assert out['img'].dtype == np.float32
    np.testing.assert_allclose(out['img'], real, atol=1e-3)


def test_radius_range_is_sampled_and_fixed_masks_are_cached():
    np.random.seed(0)
    ranged = FreqAugment(radius_ratio=(0.05, 0.5))
    radii = [ranged._sample_radius() for _ in range(20)]
    assert all(0.05 <= r <= 0.5 for r in radii) and len(set(radii)) == 20
    fixed = FreqAugment(radius_ratio=0.2)
    assert fixed._mask(8, 8, 0.2) is fixed._mask(8, 8, 0.2)
    assert ranged._mask(8, 8, 0.2) is not ranged._mask(8, 8, 0.2)


def test_build_from_registry_and_reject_bad_config():
    freda = TRANSFORMS.build(
        dict(type='FreqAugment', mask_shape='square', radius_ratio=(0.1, 0.2)))
    assert isinstance(freda, FreqAugment)
    assert freda.radius_range == (0.1, 0.2)
    for bad in [dict(mask_shape='ring'), dict(apply_to='reals'),
                dict(prob=1.5), dict(radius_ratio=(0.3, 0.1)),
                dict(radius_ratio=-0.1)]:
        with pytest.raises(ValueError):
            FreqAugment(**bad)
