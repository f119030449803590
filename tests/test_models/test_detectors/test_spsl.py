"""SPSLDetector: the phase-only image and the 4-channel model."""
import detector_batches
import pytest
import torch
from mmengine.config import Config

from qcdet.models.detectors import SPSLDetector
from qcdet.models.layers import phase_only_image
from qcdet.registry import MODELS

DEMO_CONFIG = 'configs/spsl/spsl_mobilenetv3_1xb32_12e_demo.py'
FFPP_CONFIG = 'configs/spsl/spsl_xception_1xb32_10e_ffpp.py'


def make_batch(labels, size=64, seed=1):
    return detector_batches.make_batch(labels, size, seed, first_idx=20)


def random_images(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope='module')
def detector():
    return detector_batches.build_detector(DEMO_CONFIG, init_weights=True)


def test_phase_spectrum_of_a_shifted_image_follows_the_shift_theorem():
    image = random_images(1, 1, 12, 16)
    dy, dx = 3, 5
    shifted = torch.roll(image, shifts=(dy, dx), dims=(-2, -1))
    # DFT phase gains -2 pi (u dy / H + v dx / W) ...
    u = torch.fft.fftfreq(12)[:, None]
    v = torch.fft.fftfreq(16)[None, :]
    expected = torch.fft.fft2(image).angle() - 2 * torch.pi * (u * dy +
                                                                v * dx)
    got = torch.fft.fft2(shifted).angle()
    torch.testing.assert_close(torch.polar(torch.ones_like(got), got),
                               torch.polar(torch.ones_like(got), expected),
                               atol=1e-4, rtol=0)
    # ... so the phase-only image moves with the image
    torch.testing.assert_close(phase_only_image(shifted),
                               torch.roll(phase_only_image(image),
                                          shifts=(dy, dx), dims=(-2, -1)),
                               atol=1e-5, rtol=0)


def test_phase_only_image_matches_the_fft_definition():
    image = random_images(2, 1, 12, 16) - 0.5
    spectrum = torch.fft.fft2(image.double(), norm='ortho')
    unit = torch.polar(torch.ones_like(spectrum.real), spectrum.angle())
    expected = torch.fft.ifft2(unit, norm='ortho').real.float()
    torch.testing.assert_close(phase_only_image(image), expected,
                               atol=1e-4, rtol=0)


def test_phase_only_image_drops_the_amplitude():
    image = random_images(2, 1, 16, 16)
    phase = phase_only_image(image)
    torch.testing.assert_close(phase_only_image(3.5 * image), phase,
                               atol=1e-5, rtol=0)
    # unit amplitude everywhere, unit RMS (orthonormal DFT)
    amplitude = torch.fft.fft2(phase, norm='ortho').abs()
    torch.testing.assert_close(amplitude, torch.ones_like(amplitude),
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(phase.pow(2).mean(dim=(-2, -1)),
                               torch.ones(2, 1), atol=1e-4, rtol=0)
    assert not torch.allclose(phase, image, atol=0.1)


def test_phase_is_computed_per_image():
    images = random_images(3, 1, 8, 8)
    one_by_one = torch.cat([phase_only_image(img[None]) for img in images])
    torch.testing.assert_close(phase_only_image(images), one_by_one)


def test_spatial_phase_input_stacks_rgb_and_grey_phase():
    rgb = random_images(2, 3, 16, 16) * 2 - 1
    stacked = SPSLDetector.spatial_phase_input(rgb)
    assert stacked.shape == (2, 4, 16, 16)
    torch.testing.assert_close(stacked[:, :3], rgb)
    torch.testing.assert_close(stacked[:, 3:],
                               phase_only_image(rgb.mean(1, keepdim=True)))


def test_backbone_must_take_four_channels():
    cfg = Config.fromfile(DEMO_CONFIG).model
    cfg.backbone.in_channels = 3
    with pytest.raises(ValueError, match='in_channels=4'):
        MODELS.build(cfg)


def test_detector_forward_backward_and_feedback(detector):
    detector.train()
    data = detector.data_preprocessor(make_batch([1, 0, 1]), training=True)
    assert detector(data['inputs']).shape == (3, 2)
    detector.zero_grad()
    losses = detector(**data, mode='loss')
    losses['loss'].backward()
    stem = next(detector.backbone.parameters())
    assert stem.shape[1] == 4 and stem.grad.abs().sum() > 0
    feedback = detector.train_feedback
    assert feedback['sample_idx'].tolist() == [20, 21, 22]
    assert feedback['label'].tolist() == [1, 0, 1]

    detector_batches.assert_predict_matches_logits(detector, data)


def test_ffpp_config_builds_a_four_channel_xception(tmp_path):
    # an ImageNet-style checkpoint holding only the RGB stem kernel, loaded
    # non-strictly (a full checkpoint loads strictly)
    rgb_kernel = torch.randn(32, 3, 3, 3)
    torch.save({'conv1.weight': rgb_kernel}, tmp_path / 'rgb_stem.pth')
    cfg = Config.fromfile(FFPP_CONFIG).model
    cfg.backbone.init_cfg = dict(type='Pretrained', strict=False,
                                 checkpoint=str(tmp_path / 'rgb_stem.pth'))
    model = MODELS.build(cfg).eval()
    model.init_weights()
    # as DeepfakeBench: the RGB mean of the kernel in all 4 channels
    assert model.backbone.conv1.in_channels == 4
    torch.testing.assert_close(
        model.backbone.conv1.weight,
        rgb_kernel.mean(dim=1, keepdim=True).expand(-1, 4, -1, -1))
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 2)
