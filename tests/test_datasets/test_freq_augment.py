import cv2
import numpy as np
import pytest
import torch

from qcdet.datasets.transforms.freq_augment import FreqAugment
from qcdet.registry import TRANSFORMS
from qcdet.utils.freda import (
    freda_image,
    freda_mask,
    freda_mix,
    mask_columns,
)


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


def test_radius_range_is_sampled_per_image():
    np.random.seed(0)
    ranged = FreqAugment(radius_ratio=(0.05, 0.5))
    radii = [ranged._sample_radius() for _ in range(20)]
    assert all(0.05 <= r <= 0.5 for r in radii) and len(set(radii)) == 20
    assert FreqAugment(radius_ratio=0.2)._sample_radius() == 0.2


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


# ------------------------------------------------ band (cycles per face)
def sinusoid_kept(tmp_path, freda, size, cycles, axis):
    """The share of a real's pure sinusoid of ``cycles`` per image side
    (along ``axis``) that ``freda`` mixes into a flat grey fake."""
    coords = np.arange(size) / size
    wave = 100 * np.cos(2 * np.pi * cycles * coords)
    wave = wave[None, :] if axis == 'x' else wave[:, None]
    real = np.rint(128 + np.broadcast_to(wave, (size, size)))
    real = np.repeat(real[..., None], 3, axis=2).astype(np.uint8)
    path = str(tmp_path / f'sinusoid_{size}_{cycles}_{axis}.png')
    assert cv2.imwrite(path, real)
    fake = np.full((size, size, 3), 128, np.uint8)
    out = freda(fake_results(fake, path))['img'].astype(np.float64) - 128
    profile = out.mean(axis=(0, 2) if axis == 'x' else (1, 2))
    return 2 * np.abs(np.fft.rfft(profile)[cycles]) / size / 100


@pytest.mark.parametrize('axis', ['x', 'y'])
def test_band_keeps_the_same_cycles_per_face_at_64_and_256_px(tmp_path,
                                                              axis):
    """band=8: a sinusoid of 5 cycles per side comes from the real, one of
    12 does not, at either size; radius_ratio=0.1 keeps 3.2 cycles at 64 px
    and 12.8 at 256, so the 5-cycle one depends on the size."""
    band = FreqAugment(band=8)
    ratio = FreqAugment(radius_ratio=0.1)
    for size in (64, 256):
        assert sinusoid_kept(tmp_path, band, size, 5, axis) > 0.99
        assert sinusoid_kept(tmp_path, band, size, 12, axis) < 0.01
    assert sinusoid_kept(tmp_path, ratio, 64, 5, axis) < 0.01
    assert sinusoid_kept(tmp_path, ratio, 256, 5, axis) > 0.99


def test_cosine_edge_is_in_cycles_per_face_too(tmp_path):
    """band=8 with a 4-cycle taper: full at 6 cycles, half at 8, none at
    10, the raised cosine between, at either size."""
    freda = FreqAugment(band=8, mask_edge='cosine', edge_width=4)
    for size in (64, 256):
        for cycles in (5, 6, 7, 8, 9, 10, 11):
            expected = 0.5 * (1 + np.cos(np.pi * np.clip(
                (cycles - 6) / 4, 0, 1)))
            kept = sinusoid_kept(tmp_path, freda, size, cycles, 'x')
            assert abs(kept - expected) < 0.01, (size, cycles, kept)


def test_radius_ratio_is_the_old_setting_bit_for_bit(pair):
    """No radius setting and radius_ratio=0.1 give the old transform's
    output exactly; band on a square image is radius_ratio=2*band/size."""
    fake, real, path = pair
    old = freda_image(fake, real, torch.from_numpy(mask_columns(
        freda_mask(24, 31, 0.1, 'circle')).astype(np.float32)))
    for freda in (FreqAugment(), FreqAugment(radius_ratio=0.1)):
        np.testing.assert_array_equal(
            freda(fake_results(fake, path))['img'], old)
    # non-square: the shorter side (24 px) sets the scale
    np.testing.assert_array_equal(
        FreqAugment(band=1.2)(fake_results(fake, path))['img'], old)
    square = random_image(12, 64, 64)
    np.testing.assert_array_equal(
        FreqAugment(band=3.2)(fake_results(square, path))['img'],
        FreqAugment(radius_ratio=0.1)(fake_results(square, path))['img'])
    np.random.seed(4)
    ranged = FreqAugment(radius_ratio=(0.05, 0.3))
    radii = [ranged._sample_radius() for _ in range(3)]
    np.random.seed(4)
    assert radii == [float(np.random.uniform(0.05, 0.3)) for _ in range(3)]


def test_band_and_radius_ratio_are_exclusive_and_edges_checked():
    with pytest.raises(ValueError, match='not both'):
        FreqAugment(band=8, radius_ratio=0.1)
    for bad, match in [(dict(mask_edge='gaussian'), 'mask_edge'),
                       (dict(mask_edge='cosine'), 'edge_width > 0'),
                       (dict(mask_edge='cosine', edge_width=-1), '> 0'),
                       (dict(edge_width=2), 'no taper'),
                       (dict(band=-1), 'band must be >= 0'),
                       (dict(band=(9, 3)), 'band must be a number')]:
        with pytest.raises(ValueError, match=match):
            FreqAugment(**bad)


def test_repr_says_what_was_set():
    assert 'radius_ratio=(0.1, 0.1)' in repr(FreqAugment())
    text = repr(FreqAugment(band=(4, 12), mask_edge='cosine', edge_width=2))
    assert 'band=(4.0, 12.0)' in text and 'radius_ratio' not in text
    assert "mask_edge='cosine', edge_width=2" in text
    assert FreqAugment(band=(4, 12)).band_range == (4.0, 12.0)
