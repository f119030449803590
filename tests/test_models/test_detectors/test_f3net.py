"""F3NetDetector: DCT bands, the FAD module and the 12-channel model."""
import detector_batches
import numpy as np
import pytest
import torch
from mmengine.config import Config

from qcdet.models.detectors import F3NetDetector
from qcdet.models.layers import (
    FrequencyAwareDecomposition,
    dct_band_masks,
    dct_matrix,
)
from qcdet.registry import MODELS

DEMO_CONFIG = 'configs/f3net/f3net_mobilenetv3_1xb32_12e_demo.py'
FFPP_CONFIG = 'configs/f3net/f3net_xception_1xb32_10e_ffpp.py'


def make_batch(labels, size=64, seed=1):
    return detector_batches.make_batch(labels, size, seed, first_idx=30)


@pytest.fixture(scope='module')
def detector():
    return detector_batches.build_detector(DEMO_CONFIG, init_weights=True)


def test_dct_matrix_is_the_orthonormal_dct():
    scipy_fft = pytest.importorskip('scipy.fft')
    dct = dct_matrix(8)
    torch.testing.assert_close(dct @ dct.T, torch.eye(8), atol=1e-6, rtol=0)
    signal = np.random.default_rng(0).random(8)
    np.testing.assert_allclose(dct.double().numpy() @ signal,
                               scipy_fft.dct(signal, norm='ortho'),
                               atol=1e-6)


def test_bands_partition_the_spectrum():
    size = 64
    masks = dct_band_masks(size)
    assert masks.shape == (3, size, size)
    assert set(masks.unique().tolist()) == {0.0, 1.0}
    torch.testing.assert_close(masks.sum(0), torch.ones(size, size))
    # shares of the area: low 1/16, middle 1/16, high 7/8 (up to rounding)
    shares = masks.sum(dim=(1, 2)) / size**2
    torch.testing.assert_close(shares, torch.tensor([1 / 16, 1 / 16, 7 / 8]),
                               atol=0.01, rtol=0)
    # ordered by frequency i + j
    freq = torch.arange(size)[:, None] + torch.arange(size)
    low, mid, high = (freq[m.bool()] for m in masks)
    assert low.max() < mid.min() and mid.max() < high.min()
    assert masks[0, 0, 0] == 1 and masks[2, -1, -1] == 1
    with pytest.raises(ValueError, match='increasing'):
        dct_band_masks(size, (1 / 8, 1 / 16))


def test_fixed_bands_sum_back_to_the_image():
    fad = FrequencyAwareDecomposition(16, learnable=False)
    image = torch.rand(2, 3, 16, 16,
                       generator=torch.Generator().manual_seed(0))
    out = fad(image)
    assert out.shape == (2, 12, 16, 16)
    low, mid, high, full = out.split(3, dim=1)
    torch.testing.assert_close(low + mid + high, image, atol=1e-5, rtol=0)
    torch.testing.assert_close(full, image, atol=1e-5, rtol=0)
    # a constant image is all low frequency (DC)
    flat = fad(torch.full((1, 3, 16, 16), 0.4)).split(3, dim=1)
    torch.testing.assert_close(flat[0], torch.full((1, 3, 16, 16), 0.4))
    assert flat[1].abs().max() < 1e-5 and flat[2].abs().max() < 1e-5


def test_learnable_filters_stay_within_one_of_the_masks_and_train():
    fad = FrequencyAwareDecomposition(16)
    offsets = fad.band_filters() - fad.band_bases
    assert offsets.abs().max() < 1 and offsets.abs().max() > 0
    fad(torch.rand(1, 3, 16, 16)).pow(2).sum().backward()
    assert fad.band_weights.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='img_size'):
        fad(torch.rand(1, 3, 32, 32))


def test_backbone_must_take_twelve_channels():
    cfg = Config.fromfile(DEMO_CONFIG).model
    cfg.backbone.in_channels = 3
    with pytest.raises(ValueError, match='in_channels=12'):
        MODELS.build(cfg)


def test_detector_forward_backward_and_feedback(detector):
    assert isinstance(detector, F3NetDetector)
    detector.train()
    data = detector.data_preprocessor(make_batch([0, 1, 0]), training=True)
    assert detector(data['inputs']).shape == (3, 2)
    detector.zero_grad()
    losses = detector(**data, mode='loss')
    losses['loss'].backward()
    assert detector.fad.band_weights.grad.abs().sum() > 0
    feedback = detector.train_feedback
    assert feedback['sample_idx'].tolist() == [30, 31, 32]
    assert feedback['label'].tolist() == [0, 1, 0]

    detector_batches.assert_predict_matches_logits(detector, data)


def test_ffpp_config_builds_a_twelve_channel_xception(tmp_path):
    # an ImageNet-style checkpoint holding only the RGB stem kernel, loaded
    # non-strictly (a full checkpoint loads strictly)
    rgb_kernel = torch.randn(32, 3, 3, 3)
    torch.save({'conv1.weight': rgb_kernel}, tmp_path / 'rgb_stem.pth')
    cfg = Config.fromfile(FFPP_CONFIG).model
    assert cfg.img_size == 256
    cfg.img_size = 64  # a small input for the test
    cfg.backbone.init_cfg = dict(type='Pretrained', strict=False,
                                 checkpoint=str(tmp_path / 'rgb_stem.pth'))
    model = MODELS.build(cfg).eval()
    model.init_weights()
    # as DeepfakeBench: the RGB kernel / 4 for each of the 4 bands
    assert model.backbone.conv1.in_channels == 12
    torch.testing.assert_close(model.backbone.conv1.weight,
                               rgb_kernel.repeat(1, 4, 1, 1) / 4)
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 2)
