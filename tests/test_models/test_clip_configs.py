"""The CLIP detectors' configs (configs/clip/, configs/effort/): each builds
with the parameters its method trains; the OpenAI CLIP weights come through
qcdet's one download path (a server on 127.0.0.1, a synthetic checkpoint,
never the real file); a resumed or tested FF++ run needs no download; and
every demo config trains, tests and goes through infer, test --datasets,
get_flops, export_onnx and vis_cam on the synthetic demo data."""
import hashlib
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from qcdet.apis import crop_size_from_cfg
from qcdet.models.weight_init import (
    fetch_pretrained_checkpoint,
    pretrained_init_cfgs,
)
from qcdet.registry import MODELS
from qcdet.utils import ModelFileUnavailable
from qcdet.visualization.cam import GradCAM, default_target_layers

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    str(p.relative_to(REPO))
    for folder in ('clip', 'effort')
    for p in (REPO / 'configs' / folder).glob('*.py'))
BASELINES = [c for c in CONFIGS if not Path(c).name.startswith('qc_')]
DEMOS = [c for c in BASELINES if c.endswith('_demo.py')]
WEIGHTS = Config.fromfile(REPO / 'configs/_base_/imagenet_weights.py')
# a CLIP-layout ViT small enough for a test: pre-norm, QuickGELU, no patch
# bias, as the demo model and OpenAI's encoders
TINY = dict(type='ClipViTBackbone', model_name='vit_tiny_patch16_224',
            img_size=32, patch_size=8, depth=2, pre_norm=True,
            act_layer='quick_gelu')


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build(config):
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(REPO / config).model)


def trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


def expected_trainable(model, config):
    head = {n for n, _ in model.head.named_parameters(prefix='head')}
    if '/effort/' in config:
        return head | {n for n, _ in model.backbone.named_parameters(
            prefix='backbone') if n.rsplit('.', 1)[-1] in
            ('U_res', 'S_res', 'V_res')}
    if '_lntune_' in config:
        return head | {f'backbone.{n}.{p}'
                       for n, m in model.backbone.named_modules()
                       if isinstance(m, torch.nn.LayerNorm)
                       for p in ('weight', 'bias')}
    assert '_probe_' in config
    return head


# splitting ViT-B/16's 48 projections by SVD takes 30-100 s on 2 cores
@pytest.mark.parametrize('config', [
    pytest.param(c, marks=pytest.mark.slow) if c.endswith(
        'effort_vitb16_1xb32_10e_ffpp.py') else c for c in BASELINES])
def test_config_builds_and_trains_what_its_method_trains(config):
    cfg = Config.fromfile(REPO / config)
    model = build(config)
    assert trainable(model) == expected_trainable(model, config)
    size = crop_size_from_cfg(cfg)
    inits = list(pretrained_init_cfgs(cfg.model))
    if config.endswith('_ffpp.py'):
        # ViT-B/16's position embedding is for 224 px, train and test
        assert size == 224 and cfg.train_dataloader.dataset.pipeline[2][
            'scale'] == (224, 224)
        assert inits == [('model.backbone.init_cfg',
                          WEIGHTS.clip_vit_b16_openai)]
        assert model.head.in_channels == 768
    else:
        assert size == 64 and inits == []  # the demo downloads nothing
    if '/effort/' in config:
        layers = model.svd_layers()
        # q, k, v (one fused qkv in 3 chunks) and the output projection of
        # each block, one trained direction each
        assert len(layers) == 2 * len(model.backbone.model.blocks)
        assert {(layer.num_chunks, layer.svd_rank) for layer in layers} == {
            (3, 1), (1, 1)}
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 3, size, size), mode='tensor')
    assert logits.shape == (2, 2)


def test_clip_weights_entries_name_timm_safetensors_with_full_sha256():
    for name in ('clip_vit_b16_openai', 'clip_vit_l14_openai'):
        entry = WEIGHTS[name]
        assert entry.checkpoint.startswith('https://huggingface.co/timm/')
        assert entry.checkpoint.endswith('/open_clip_model.safetensors')
        assert len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0
    l14 = Config.fromfile(REPO / 'configs/_base_/models/clip_vit_l14.py')
    assert l14.model.backbone.init_cfg == WEIGHTS.clip_vit_l14_openai
    assert l14.model.head.in_channels == 1024


def timm_state_dict(**kwargs):
    """A tiny CLIP-layout ViT's timm state dict, with a projection head
    (``head.*``) as timm's CLIP checkpoints have, which the backbone drops."""
    import timm
    torch.manual_seed(1)
    source = timm.create_model(TINY['model_name'], num_classes=16,
                               **{k: v for k, v in TINY.items()
                                  if k not in ('type', 'model_name')},
                               **kwargs)
    return source.state_dict()


def serve(folder, base, name, state_dict):
    from safetensors.torch import save_file
    path = folder / name
    save_file({k: v.contiguous() for k, v in state_dict.items()}, str(path))
    return f'{base}/{name}', path


def cached(url):
    return Path(os.environ['TORCH_HOME']) / 'hub' / 'checkpoints' / \
        url.rsplit('/', 1)[-1]


def test_clip_entry_downloads_over_http_and_loads(http_folder):
    folder, base = http_folder
    entry = WEIGHTS.clip_vit_b16_openai
    state = timm_state_dict()
    url, path = serve(folder, base, entry.checkpoint.rsplit('/', 1)[-1],
                      state)
    init_cfg = dict(entry, checkpoint=url, sha256=sha256(path))
    backbone = MODELS.build(dict(TINY, init_cfg=init_cfg, trainable='none'))
    backbone.init_weights()
    loaded = backbone.model.state_dict()
    for key, value in state.items():
        if not key.startswith('head.'):
            torch.testing.assert_close(loaded[key], value, msg=key)
    # cached under the URL's name: the .safetensors suffix picks the reader
    assert cached(url).is_file() and cached(url).suffix == '.safetensors'

    # Effort splits the loaded weights, not the random ones it was built
    # with: the dense weight it computes is the checkpoint's
    effort = MODELS.build(dict(TINY, init_cfg=init_cfg, trainable='effort',
                               svd_rank=1))
    effort.init_weights()
    qkv = effort.model.blocks[0].attn.qkv
    torch.testing.assert_close(qkv.weight, state['blocks.0.attn.qkv.weight'],
                               atol=1e-5, rtol=1e-5)


def test_clip_entry_with_the_wrong_file_stops_before_loading(http_folder):
    folder, base = http_folder
    entry = WEIGHTS.clip_vit_b16_openai
    url, _ = serve(folder, base, entry.checkpoint.rsplit('/', 1)[-1],
                   timm_state_dict())
    # the published digest of the real file: the synthetic one fails it
    backbone = MODELS.build(dict(TINY, init_cfg=dict(entry, checkpoint=url)))
    with pytest.raises(ModelFileUnavailable,
                       match=f'source publishes {entry.sha256}'):
        backbone.init_weights()
    assert not cached(url).exists()  # nothing unchecked left in the cache


def test_clip_entry_offline_says_which_file_to_put_where(closed_port_url):
    entry = WEIGHTS.clip_vit_b16_openai
    url = f'{closed_port_url}/{entry.checkpoint.rsplit("/", 1)[-1]}'
    with pytest.raises(ModelFileUnavailable) as error:
        fetch_pretrained_checkpoint(dict(entry, checkpoint=url))
    message = str(error.value)
    assert message.startswith(f'Cannot download {url}')
    assert f'put it at {cached(url)} (SHA-256 {entry.sha256})' in message
    assert '--cfg-options model.backbone.init_cfg=None' in message


def openai_layout(state_dict):
    """The timm CLIP state dict in the layout of the published files
    (OpenAI's ``visual.*`` keys; the text tower's keys beside them)."""
    renames = [('patch_embed.proj', 'conv1'), ('norm_pre', 'ln_pre'),
               ('blocks.', 'transformer.resblocks.'),
               ('attn.qkv.', 'attn.in_proj_'),
               ('attn.proj', 'attn.out_proj'), ('norm1', 'ln_1'),
               ('norm2', 'ln_2'), ('mlp.fc1', 'mlp.c_fc'),
               ('mlp.fc2', 'mlp.c_proj')]
    out = {'logit_scale': torch.ones(()),
           'token_embedding.weight': torch.zeros(8, 4)}
    for key, value in state_dict.items():
        if key == 'cls_token':
            out['visual.class_embedding'] = value[0, 0]
        elif key == 'pos_embed':
            out['visual.positional_embedding'] = value[0]
        elif key == 'head.weight':
            out['visual.proj'] = value.t()
        elif key == 'head.bias':
            continue
        elif key.startswith('norm.'):
            out['visual.ln_post.' + key[len('norm.'):]] = value
        else:
            for old, new in renames:
                key = key.replace(old, new)
            out['visual.' + key] = value
    return out


def test_published_openai_layout_loads(tmp_path):
    state = timm_state_dict()
    path = tmp_path / 'open_clip_model.safetensors'
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in openai_layout(state).items()},
              str(path))
    backbone = MODELS.build(dict(TINY, init_cfg=dict(type='Pretrained',
                                                     checkpoint=str(path))))
    backbone.init_weights()
    for key, value in backbone.model.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)


@pytest.mark.parametrize('config', [
    'configs/clip/qc_clip_probe_vitb16_1xb32_10e_ffpp.py',
    'configs/effort/effort_vitb16_1xb32_10e_ffpp.py'])
def test_a_resumed_clip_run_needs_no_weights(config, closed_port_url,
                                             tmp_path):
    train = runpy.run_path(str(REPO / 'tools/train.py'))
    cfg = Config.fromfile(REPO / config)
    cfg.model.backbone.init_cfg.checkpoint = f'{closed_port_url}/x.pth'
    cfg.resume, cfg.work_dir = True, str(tmp_path)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    train['prepare_pretrained_weights'](cfg)  # no download tried
    assert cfg.model.backbone.init_cfg is None


def test_an_effort_checkpoint_loads_into_a_model_built_without_weights():
    """What --resume, tools/test.py and tools/infer.py do: build from the
    config with no pretrained file, then load the run's state dict."""
    cfg = dict(type='EffortDetector', backbone=dict(TINY, trainable='effort',
                                                    svd_rank=1),
               head=dict(type='BinaryClsHead', in_channels=192))
    torch.manual_seed(0)
    trained = MODELS.build(cfg).eval()
    with torch.no_grad():
        for param in trained.parameters():
            param.add_(0.01 * torch.randn_like(param))
    torch.manual_seed(5)
    fresh = MODELS.build(cfg).eval()
    fresh.load_state_dict(trained.state_dict(), strict=True)
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(fresh(inputs, mode='tensor'),
                                   trained(inputs, mode='tensor'))


@pytest.mark.parametrize('config', DEMOS)
def test_grad_cam_on_the_vit_tokens(config):
    model = build(config).eval()
    cam = GradCAM(model)
    assert cam.target_layers == default_target_layers(model) == [
        'backbone.model.blocks.3.norm1']
    torch.manual_seed(1)
    inputs = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        predicted = int(model(inputs, mode='tensor').argmax())
    heat = cam(inputs, target=predicted)
    assert heat.shape == (64, 64) and np.isfinite(heat).all()
    assert heat.min() >= 0 and heat.max() <= 1 and heat.std() > 0.01
    # the 8x8 patch grid shows: not a flat or single-blob field
    assert len(np.unique(heat.round(3))) > 16
    assert all(p.grad is None for p in model.parameters())


def test_grad_cam_refuses_the_cls_vector_with_a_way_out():
    model = build(DEMOS[0]).eval()
    with pytest.raises(ValueError, match=r"layer 'backbone' of "
                       r"DeepfakeDetector gives \(1, 192\)\. Pick a layer "
                       r'inside the transformer.s blocks .*'
                       r'backbone\.model\.blocks\.N\.norm1'):
        GradCAM(model, ['backbone'])(torch.randn(1, 3, 64, 64), target=1)


def test_get_flops_counts_fused_attention():
    flops = runpy.run_path(str(REPO / 'tools/analysis/get_flops.py'))
    model = build('configs/clip/clip_probe_vittiny_1xb32_12e_demo.py')
    result = flops['count'](model, 64, 64)
    tokens, dim, depth = 8 * 8 + 1, 192, 4
    per_block = tokens * dim * (3 * dim + dim + 2 * 4 * dim) + \
        tokens * tokens * 2 * dim  # linears + Q K^T and weights x V
    patch_embed = 64 * (3 * 8 * 8) * dim
    # fvcore counts 5 per element of a LayerNorm: norm_pre, 2 per block,
    # the final norm
    norms = (1 + 2 * depth + 1) * 5 * tokens * dim
    assert result['flops'] == depth * per_block + patch_embed + norms + \
        dim * 2
    assert 'aten::scaled_dot_product_attention' not in \
        result['unsupported_ops']


# End to end through the command-line tools on a tiny synthetic dataset,
# with the helpers of tests/test_tools (tests/conftest.py's `cli` fixture)
ONE_EPOCH = {'train_cfg.max_epochs': 1}


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    """tests/test_tools' demo set (90 train frames: 3 steps of 32), with
    SSIM static scores for the qc_ configs."""
    from qcdet.offline.static_quality import score_annotation
    from qcdet.offline.synthetic_data.generate import generate_demo_dataset
    root = tmp_path_factory.mktemp('clip_demo')
    generate_demo_dataset(str(root), seed=0, num_identities=10,
                          videos_per_identity=1, frames_per_video=3, size=32)
    score_annotation(str(root / 'annotations' / 'train.json'),
                     str(root / 'annotations' / 'train_static.json'),
                     dict(type='SSIMSimilarityEvaluator'), progress=False)
    return root


@pytest.mark.slow
@pytest.mark.parametrize('config', DEMOS)
def test_demo_config_trains_with_and_without_qc_and_tests(config, demo_root,
                                                          tmp_path, cli):
    out = cli.train(config, tmp_path / 'plain', demo_root, **ONE_EPOCH)
    assert 'frame_auc' in out
    checkpoint = tmp_path / 'plain' / 'epoch_1.pth'
    assert checkpoint.is_file()
    if 'effort' in config:
        assert 'loss_orth' in out and 'loss_sv' in out
    out = cli.run([sys.executable, 'tools/test.py', config, checkpoint,
                   '--work-dir', tmp_path / 'test',
                   *cli.cfg_options(demo_root)])
    metrics = cli.last_json(out)
    for key in ('frame_auc', 'video_auc', 'eer', 'ap', 'acc'):
        assert 0.0 <= metrics[key] <= 1.0

    qc_config = str(Path(config).with_name('qc_' + Path(config).name))
    cli.train(qc_config, tmp_path / 'qc', demo_root, **ONE_EPOCH)
    quality = json.loads(
        (tmp_path / 'qc' / 'quality' / 'epoch_1.json').read_text())
    # the detector's training forward fed the quality hook
    assert any(d is not None for d in quality['samples']['dynamic'])


@pytest.fixture(scope='module', params=[
    'configs/clip/clip_probe_vittiny_1xb32_12e_demo.py',
    'configs/effort/effort_vittiny_1xb32_12e_demo.py'])
def trained(request, demo_root, tmp_path_factory, cli):
    work = tmp_path_factory.mktemp('clip_tools')
    cli.train(request.param, work, demo_root, **ONE_EPOCH)
    return request.param, work / 'epoch_1.pth'


@pytest.mark.slow
def test_tools_on_a_trained_demo_detector(trained, demo_root, shared_data,
                                          tmp_path, cli):
    config, checkpoint = trained
    ann = demo_root / 'annotations'
    # several test sets in one run
    out = cli.run([sys.executable, 'tools/test.py', config, checkpoint,
                   '--work-dir', tmp_path, '--datasets', ann / 'test.json',
                   ann / 'val.json', *cli.cfg_options(demo_root)])
    saved = json.loads((tmp_path / 'cross_dataset.json').read_text())
    assert len(saved['datasets']) == 2 and 'frame_auc' in saved['average']

    # FLOPs at the config's 64 px, attention included
    out = cli.run([sys.executable, 'tools/analysis/get_flops.py', config])
    assert 'input shape: (1, 3, 64, 64)' in out
    counted = next(json.loads(line) for line in out.splitlines()
                   if line.startswith('{"params"'))
    assert counted['flops'] > 1.2e8 and counted['shape'] == [64, 64]

    # ONNX at the config's size; a ViT refuses any other
    onnx = tmp_path / 'model.onnx'
    out = cli.run([sys.executable, 'tools/deploy/export_onnx.py', config,
                   checkpoint, '--out', onnx])
    assert 'equivalence check passed' in out and onnx.is_file()
    refused = subprocess.run(
        [sys.executable, 'tools/deploy/export_onnx.py', config,
         str(checkpoint), '--out', str(tmp_path / 'x.onnx'), '--shape',
         '224'], cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith(
        'ERROR: ') and 'does not run at 224x224' in refused.stderr
    assert 'Traceback' not in refused.stderr

    # Grad-CAM on the ViT's patch tokens of a demo frame
    frame = sorted((demo_root).rglob('*.png'))[0]
    out = cli.run([sys.executable, 'tools/analysis/vis_cam.py', config,
                   checkpoint, frame, '--no-face-crop', '--out-dir',
                   tmp_path / 'cam', '--save-map'])
    assert 'backbone.model.blocks.3.norm1' in out
    heat = np.load(tmp_path / 'cam' / f'{frame.stem}_cam.npy')
    assert heat.std() > 0.01

    # inference on a real FF++ clip (faces found, cropped to 64 px)
    video = shared_data / ('icpr2020dfdc/ffpp/original_sequences/youtube/'
                           'c23/videos/004.mp4')
    if not video.is_file():
        pytest.skip(f'{video} absent')
    results = tmp_path / 'infer.json'
    cli.run([sys.executable, 'tools/infer.py', config, checkpoint, video,
             '--num-frames', '2', '--out', results])
    record = json.loads(results.read_text())[0]
    assert record['faces_found'] >= 1 and 0.0 <= record['score'] <= 1.0


@pytest.mark.slow
def test_test_py_on_an_ffpp_clip_config_needs_no_weights(demo_root,
                                                         closed_port_url,
                                                         tmp_path, cli):
    """tools/test.py with a CLIP FF++ config where the weights URL cannot
    be reached: the run's checkpoint holds every weight. The encoder is cut
    to one block (--cfg-options) so the checkpoint stays small."""
    config = 'configs/effort/effort_vitb16_1xb32_10e_ffpp.py'
    cfg = Config.fromfile(REPO / config)
    cfg.model.backbone.depth = 1
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    url = f'{closed_port_url}/open_clip_model.safetensors'
    out = cli.run([sys.executable, 'tools/test.py', config, checkpoint,
                   '--work-dir', tmp_path / 'work',
                   *cli.cfg_options(demo_root, **{
                       'model.backbone.init_cfg.checkpoint': url,
                       '+model.backbone.depth': 1,
                       'test_dataloader.pin_memory': False,
                       'model.data_preprocessor.channels_last': False})])
    assert 0.0 <= cli.last_json(out)['frame_auc'] <= 1.0
