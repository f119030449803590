"""The FreDA grid shows the real's low and the fake's high frequencies."""
import cv2
import numpy as np
import pytest

from qcdet.visualization import (
    freda_example,
    pick_paired_fakes,
    plot_freda_examples,
    save_figure,
)


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
    fake = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'real.png'), real)
    cv2.imwrite(str(tmp_path / 'fake.png'), fake)
    return dict(img_path=str(tmp_path / 'fake.png'),
                pair_path=str(tmp_path / 'real.png'), label=1,
                method='swap', index=0)


def test_mixed_spectrum_takes_the_reals_low_frequencies(pair):
    example = freda_example(pair, radius=0.3)
    mask = example['mask']
    assert 0 < mask.sum() < mask.size
    spectra = {k: np.fft.rfft2(example[k].astype(np.float64), axes=(0, 1))
               for k in ('fake', 'real', 'mixed')}
    scale = np.abs(spectra['real']).max()
    # inside the mask the mix has the real's coefficients, outside the
    # fake's (up to uint8 rounding and clipping)
    inside = np.abs(spectra['mixed'] - spectra['real'])[mask].max() / scale
    outside = np.abs(spectra['mixed'] - spectra['fake'])[~mask].max() / scale
    assert inside < 0.05 and outside < 0.05
    # and it is neither image
    assert np.abs(example['mixed'].astype(int) - example['fake']).mean() > 1
    assert np.abs(example['mixed'].astype(int) - example['real']).mean() > 1


def test_radius_zero_keeps_the_fake(pair):
    example = freda_example(pair, radius=0.0)
    np.testing.assert_array_equal(example['mixed'], example['fake'])


def test_pick_round_robin_over_methods():
    records = [dict(label=1, method=m, pair_path='p', index=i)
               for i, m in enumerate(['a', 'a', 'a', 'b'])]
    records.append(dict(label=1, method='c', pair_path=None, index=4))
    records.append(dict(label=0, method='real', pair_path=None, index=5))
    assert [r['index'] for r in pick_paired_fakes(records, 3)] == [0, 3, 1]
    assert len(pick_paired_fakes(records, 10)) == 4


def test_grid_figure(pair, tmp_path):
    fig, examples = plot_freda_examples([pair, pair], radius=0.2)
    assert len(examples) == 2 and len(fig.axes) == 12
    assert fig.axes[3].get_title() == 'log|FFT| fake'
    save_figure(fig, str(tmp_path / 'grid.png'))
    assert (tmp_path / 'grid.png').stat().st_size > 10_000
    with pytest.raises(ValueError, match='no paired fakes'):
        plot_freda_examples([])
