"""The FF++ configs start from ImageNet weights fetched the OpenMMLab way
(``init_cfg=dict(type='Pretrained', checkpoint=URL)``): built from the
flagship's config they load through the real download path (a server the
test runs on 127.0.0.1), and offline, training stops with one message."""
import glob
import hashlib
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from qcdet.models.weight_init import pretrained_init_cfgs
from qcdet.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in glob.glob(str(REPO / 'configs/**/*.py'),
                                      recursive=True) if '_base_' not in p)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize('config', CONFIGS,
                         ids=lambda p: os.path.relpath(p, REPO / 'configs'))
def test_ffpp_configs_start_from_published_imagenet_weights(config):
    inits = list(pretrained_init_cfgs(Config.fromfile(config).model))
    if not config.endswith('_ffpp.py'):
        assert inits == [], 'the demo must train without any download'
        return
    assert [key for key, _ in inits] == ['model.backbone.init_cfg']
    init_cfg = inits[0][1]
    name = init_cfg['checkpoint'].rsplit('/', 1)[-1]
    assert init_cfg['checkpoint'].startswith('https://')
    if re.fullmatch(r'[0-9a-f]{64}', init_cfg['sha256'] or ''):
        return  # a whole SHA-256 (the CLIP files on Hugging Face)
    # torch.hub's name-<sha256 prefix>.pth: the published hash is checked
    assert re.fullmatch(rf'.+-{init_cfg["sha256"]}\.pth', name)


def serve_checkpoint(folder, base, name, state_dict):
    path = folder / name
    torch.save(state_dict, path)
    return f'{base}/{name}', sha256(path)


def build_from_config(config, url, digest):
    cfg = Config.fromfile(REPO / config)
    cfg.model.backbone.init_cfg.update(checkpoint=url, sha256=digest)
    return MODELS.build(cfg.model)


def test_flagship_loads_imagenet_weights_over_http(http_folder):
    import timm
    folder, base = http_folder
    imagenet = timm.create_model('efficientnet_b4', num_classes=1000)
    url, digest = serve_checkpoint(
        folder, base, 'efficientnet_b4_ra2_320-7eb33cd5.pth',
        imagenet.state_dict())

    model = build_from_config('configs/qc_effnet_ffpp.py', url, digest[:8])
    model.init_weights()
    loaded = model.backbone.model.state_dict()
    for key, value in imagenet.state_dict().items():
        if not key.startswith('classifier.'):
            torch.testing.assert_close(loaded[key], value, msg=key)
    assert os.path.isfile(Path(os.environ['TORCH_HOME']) / 'hub' /
                          'checkpoints' / Path(url).name)


def cadene_xception_state_dict():
    """An ImageNet Xception laid out as Cadene's file: 2-D pointwise
    kernels and an ``fc`` classifier."""
    source = MODELS.build(dict(type='Xception'))
    state = {k: (v[:, :, 0, 0] if k.endswith('pointwise.weight') else v)
             for k, v in source.state_dict().items()}
    state.update({'fc.weight': torch.randn(1000, 2048),
                  'fc.bias': torch.zeros(1000)})
    return source.state_dict(), state


def test_xception_configs_load_cadene_weights_over_http(http_folder):
    folder, base = http_folder
    expected, served = cadene_xception_state_dict()
    url, digest = serve_checkpoint(folder, base, 'xception-43020ad28.pth',
                                   served)
    model = build_from_config('configs/baseline_xception_ffpp.py', url,
                              digest)
    model.init_weights()
    for key, value in expected.items():
        torch.testing.assert_close(model.backbone.state_dict()[key], value,
                                   msg=key)
    # F3Net's 12-channel stem is seeded from the RGB kernel, band by band
    f3net = build_from_config(
        'configs/f3net/f3net_xception_1xb32_10e_ffpp.py', url, digest)
    f3net.init_weights()
    stem = f3net.backbone.conv1.weight
    rgb = expected['conv1.weight']
    torch.testing.assert_close(stem[:, :3], rgb / 4)
    torch.testing.assert_close(stem[:, 9:], rgb / 4)


@pytest.mark.slow
def test_training_offline_stops_at_once_with_one_message(closed_port_url,
                                                         tmp_path):
    url = f'{closed_port_url}/efficientnet_b4_ra2_320-7eb33cd5.pth'
    # annotation files in place, so the data check passes and the download
    # is the first thing that can fail
    data = tmp_path / 'data'
    (data / 'annotations').mkdir(parents=True)
    for name in ('train_static.json', 'val.json'):
        (data / 'annotations' / name).write_text('{}')
    result = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/qc_effnet_ffpp.py',
         '--work-dir', str(tmp_path / 'run'), '--cfg-options',
         f'model.backbone.init_cfg.checkpoint={url}',
         f'train_dataloader.dataset.data_root={data}',
         f'val_dataloader.dataset.data_root={data}',
         'optim_wrapper.type=OptimWrapper'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr, result.stderr
    assert result.stderr.startswith(f'ERROR: Cannot download {url}')
    cache = Path(os.environ['TORCH_HOME']) / 'hub' / 'checkpoints'
    assert f'put it at {cache / Path(url).name}' in result.stderr
    assert '--cfg-options model.backbone.init_cfg=None' in result.stderr
    assert not (tmp_path / 'run').exists()  # stopped before the runner


def test_a_resumed_run_needs_no_imagenet_weights(closed_port_url,
                                                 tmp_path):
    train = runpy.run_path(str(REPO / 'tools/train.py'))
    cfg = Config.fromfile(REPO / 'configs/qc_effnet_ffpp.py')
    cfg.model.backbone.init_cfg.checkpoint = f'{closed_port_url}/x.pth'
    cfg.resume, cfg.work_dir = True, str(tmp_path)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    train['prepare_pretrained_weights'](cfg)  # no download tried
    assert cfg.model.backbone.init_cfg is None


def test_resume_without_a_checkpoint_still_needs_them(closed_port_url,
                                                      tmp_path):
    """--resume on a fresh work dir trains from scratch (MMEngine finds
    nothing to resume): it must start from the ImageNet weights, so a
    missing file stops it as for any run."""
    train = runpy.run_path(str(REPO / 'tools/train.py'))
    cfg = Config.fromfile(REPO / 'configs/qc_effnet_ffpp.py')
    url = f'{closed_port_url}/x.pth'
    cfg.model.backbone.init_cfg.checkpoint = url
    cfg.resume, cfg.load_from, cfg.work_dir = True, None, str(tmp_path)
    with pytest.raises(SystemExit, match=f'Cannot download {url}'):
        train['prepare_pretrained_weights'](cfg)
    assert cfg.model.backbone.init_cfg.checkpoint == url
