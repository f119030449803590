"""tools/analysis/vis_cam.py: Grad-CAM over the face crop for the zoo's
detectors, and a clear refusal where a layer has no feature map."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from qcdet.apis import crop_size_from_cfg
from qcdet.registry import MODELS
from qcdet.visualization.cam import (
    CAM_TARGETS,
    GradCAM,
    default_target_layers,
)

FFPP_VIDEO = ('icpr2020dfdc/ffpp/original_sequences/youtube/c23/videos/'
              '004.mp4')
ZOO_DEMO_CONFIGS = [
    'configs/qc_demo.py',
    'configs/core/core_mobilenetv3_1xb32_12e_demo.py',
    'configs/f3net/f3net_mobilenetv3_1xb32_12e_demo.py',
    'configs/recce/recce_mobilenetv3_1xb32_12e_demo.py',
    'configs/spsl/spsl_mobilenetv3_1xb32_12e_demo.py',
    'configs/srm/srm_mobilenetv3_1xb32_12e_demo.py',
    'configs/ucf/ucf_mobilenetv3_1xb32_12e_demo.py',
]


def build_detector(config):
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(config).model).eval()


def check_cam(cam, shape):
    assert cam.shape == shape
    assert np.isfinite(cam).all()
    assert cam.min() >= 0 and cam.max() <= 1
    assert cam.std() > 0.01  # shows a place, not a flat field


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """The QC demo detector, untrained: Grad-CAM needs weights, not good
    ones, and saving them costs no training run."""
    path = tmp_path_factory.mktemp('cam_ckpt') / 'qc_demo.pth'
    torch.save(dict(state_dict=build_detector('configs/qc_demo.py')
                    .state_dict()), path)
    return path


def vis_cam(cli, checkpoint, out_dir, *args):
    return cli.run([
        cli.python, 'tools/analysis/vis_cam.py', 'configs/qc_demo.py',
        str(checkpoint), *args, '--out-dir', str(out_dir), '--save-map'
    ])


def check_panel(panel, crop, panel_size=256):
    """crop | heat map | overlay, each ``panel_size`` px, under a text
    strip; the left picture is the crop upscaled bicubically."""
    assert panel.shape[1] == 3 * panel_size
    assert panel.shape[0] > panel_size >= 256
    upscaled = cv2.resize(crop, (panel_size, panel_size),
                          interpolation=cv2.INTER_CUBIC)
    left = panel[-panel_size:, :panel_size].astype(int)
    assert np.abs(left - upscaled).mean() < 2  # PNG is lossless; ~equal
    assert panel[:-panel_size].std() > 10  # the score strip has text


@pytest.mark.slow
def test_vis_cam_on_a_demo_crop(demo_root, checkpoint, tmp_path, cli):
    image = next(iter(sorted((demo_root / 'fake').rglob('*.png'))))
    log = vis_cam(cli, checkpoint, tmp_path, str(image), '--no-face-crop')
    size = crop_size_from_cfg(Config.fromfile('configs/qc_demo.py'))
    panel = cv2.imread(str(tmp_path / f'{image.stem}_cam.png'))
    crop = cv2.resize(cv2.imread(str(image)), (size, size))
    check_panel(panel, crop)
    check_cam(np.load(tmp_path / f'{image.stem}_cam.npy'), (size, size))
    # the heat map is blended over the crop in the right picture
    right = panel[-256:, 512:]
    assert not np.array_equal(right, panel[-256:, :256])
    assert 'CAM of "fake" on backbone' in log
    vis_cam(cli, checkpoint, tmp_path, str(image), '--no-face-crop',
            '--panel-size', '320')
    check_panel(cv2.imread(str(tmp_path / f'{image.stem}_cam.png')), crop,
                320)


def test_vis_cam_targets_are_the_cam_targets():
    import runpy
    tool = runpy.run_path('tools/analysis/vis_cam.py')
    assert sorted(tool['TARGETS']) == sorted(CAM_TARGETS)


@pytest.mark.slow
def test_vis_cam_on_a_video_frame_face(shared_data, checkpoint, tmp_path,
                                       cli):
    video = shared_data / FFPP_VIDEO
    if not video.is_file():
        pytest.skip(f'{video} absent')
    vis_cam(cli, checkpoint, tmp_path, str(video), '--frame', '10',
            '--target', 'real')
    size = crop_size_from_cfg(Config.fromfile('configs/qc_demo.py'))
    panel = cv2.imread(str(tmp_path / '004_frame10_cam.png'))
    assert panel.shape[1] == 3 * 256 and panel.shape[0] > 256
    check_cam(np.load(tmp_path / '004_frame10_cam.npy'), (size, size))


@pytest.mark.parametrize('config', ZOO_DEMO_CONFIGS)
def test_grad_cam_on_every_zoo_detector(config):
    model = build_detector(config)
    cam = GradCAM(model)
    assert cam.target_layers == default_target_layers(model)
    torch.manual_seed(1)
    inputs = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        # an untrained detector's evidence may all speak against a class;
        # the class it predicts has some
        predicted = int(model(inputs, mode='tensor').argmax())
    check_cam(cam(inputs, target=predicted), (64, 64))
    # the detector's parameters keep no gradient of the CAM's backward
    assert all(p.grad is None for p in model.parameters())


def test_grad_cam_refuses_layers_without_a_feature_map():
    model = build_detector('configs/qc_demo.py')
    with pytest.raises(ValueError, match=r"DeepfakeDetector has no layer "
                       r"'neck'; its top-level layers: .*backbone, head"):
        GradCAM(model, ['neck'])
    # the head gives [B, 2] logits: nothing spatial to show
    with pytest.raises(ValueError, match=r"layer 'head' of DeepfakeDetector "
                       r"gives \(1, 2\)"):
        GradCAM(model, ['head'])(torch.randn(1, 3, 64, 64), target=1)
