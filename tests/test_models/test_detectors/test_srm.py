"""SRMDetector: the fixed SRM residual filters and the two-stream model."""
import detector_batches
import pytest
import torch
from mmengine.config import Config

from qcdet.models.detectors import SRMDetector
from qcdet.models.layers import SRMFilter, srm_kernels
from qcdet.registry import MODELS

DEMO_CONFIG = 'configs/srm/srm_mobilenetv3_1xb32_12e_demo.py'
FFPP_CONFIG = 'configs/srm/srm_xception_1xb32_10e_ffpp.py'


def make_batch(labels, size=64, seed=1):
    return detector_batches.make_batch(labels, size, seed, first_idx=10)


@pytest.fixture(scope='module')
def detector():
    return detector_batches.build_detector(DEMO_CONFIG, init_weights=True)


def test_kernels_are_high_pass():
    kernels = srm_kernels()
    assert kernels.shape == (3, 5, 5)
    torch.testing.assert_close(kernels.sum(dim=(1, 2)), torch.zeros(3))
    # each is scaled so that its central weight has magnitude 1
    torch.testing.assert_close(kernels[:, 2, 2].abs(), torch.ones(3))


def test_filter_kills_constant_and_linear_images():
    srm = SRMFilter()
    assert list(srm.parameters()) == []  # fixed, never trained
    constant = torch.full((1, 3, 16, 16), 0.7)
    assert srm(constant).abs().max() < 1e-6  # borders included
    rows, cols = torch.meshgrid(torch.arange(16.), torch.arange(16.),
                                indexing='ij')
    ramp = (0.05 * rows - 0.03 * cols).expand(1, 3, 16, 16)
    assert srm(ramp)[..., 2:-2, 2:-2].abs().max() < 1e-5
    noise = torch.randn(1, 3, 16, 16, generator=torch.Generator()
                        .manual_seed(0))
    assert srm(noise).abs().mean() > 0.1


def test_filter_response_to_an_impulse_is_each_kernel():
    image = torch.zeros(1, 3, 11, 11)
    image[0, 1, 5, 5] = 1.0  # one colour channel
    out = SRMFilter(truncation=10.0)(image)
    assert out.shape == (1, 3, 11, 11)
    # kernels are point-symmetric, so correlation and convolution agree
    torch.testing.assert_close(out[0, :, 3:8, 3:8], srm_kernels())


def test_filter_truncates_residuals():
    checkerboard = (torch.arange(8)[:, None] + torch.arange(8)) % 2 * 20.0
    out = SRMFilter(truncation=3.0)(checkerboard.expand(1, 3, 8, 8))
    assert out.abs().max() == pytest.approx(3.0)
    with pytest.raises(ValueError, match=r'\[B, 3, H, W\]'):
        SRMFilter()(torch.zeros(1, 1, 8, 8))


def test_detector_forward_backward_and_feedback(detector):
    assert isinstance(detector, SRMDetector)
    # two streams with their own weights
    assert detector.srm_backbone is not detector.backbone
    rgb = {id(p) for p in detector.backbone.parameters()}
    assert not rgb & {id(p) for p in detector.srm_backbone.parameters()}

    detector.train()
    data = detector.data_preprocessor(make_batch([0, 1, 1]), training=True)
    assert detector(data['inputs']).shape == (3, 2)
    detector.zero_grad()
    losses = detector(**data, mode='loss')
    losses['loss'].backward()
    for module in (detector.backbone, detector.srm_backbone,
                   detector.fusion, detector.residual_attention,
                   detector.head):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in module.parameters()), type(module).__name__
    feedback = detector.train_feedback
    assert feedback['sample_idx'].tolist() == [10, 11, 12]
    assert feedback['label'].tolist() == [0, 1, 1]
    torch.testing.assert_close(feedback['loss'].mean(),
                               losses['loss'].detach())


def test_detector_predict_gives_scores(detector):
    data = detector.data_preprocessor(make_batch([0, 1]))
    detector_batches.assert_predict_matches_logits(detector, data)


def test_ffpp_config_builds_two_xceptions():
    model = MODELS.build(Config.fromfile(FFPP_CONFIG).model).eval()
    assert type(model.srm_backbone).__name__ == 'Xception'
    assert model.head.in_channels == model.backbone.out_channels == 2048
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 2)
