"""Effort: the SVD split of the ViT projections, what trains, the two
regularisers, loading pretrained and trained weights, and training steps."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.runner.checkpoint import load_state_dict
from mmpretrain.structures import DataSample

from qcdet.models.layers import SVDResidualLinear, apply_svd_residual
from qcdet.registry import MODELS

# two blocks keep every build fast; the layers are those of any timm ViT
TINY = dict(type='ClipViTBackbone', model_name='vit_tiny_patch16_224',
            img_size=64, depth=2)
HEAD = dict(type='BinaryClsHead', in_channels=192, dropout=0.0)


def build_detector(**backbone):
    return MODELS.build(dict(type='EffortDetector',
                             backbone=dict(TINY, trainable='effort',
                                           **backbone),
                             head=HEAD))


def batch(size=4):
    generator = torch.Generator().manual_seed(1)
    inputs = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8,
                            generator=generator) for _ in range(size)]
    samples = [DataSample().set_gt_label(i % 2) for i in range(size)]
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture
def timm_checkpoint(tmp_path):
    """A timm-format state dict of the tiny ViT, unlike a fresh build's."""
    torch.manual_seed(123)
    dense = MODELS.build(TINY)
    path = tmp_path / 'vit_tiny.pth'
    torch.save(dense.model.state_dict(), path)
    return path, dense


@pytest.mark.parametrize('shape,chunks', [((96, 32), 1), ((32, 96), 1),
                                          ((96, 32), 3)])
def test_split_reproduces_the_linear(shape, chunks):
    torch.manual_seed(0)
    linear = nn.Linear(shape[1], shape[0])
    layer = SVDResidualLinear(linear, svd_rank=2, num_chunks=chunks)
    x = torch.randn(5, shape[1])
    torch.testing.assert_close(layer(x), linear(x), atol=1e-5, rtol=1e-5)
    # the frozen part keeps the top singular directions of each chunk
    for w, main in zip(linear.weight.detach().chunk(chunks),
                       layer.weight_main.chunk(chunks)):
        rank = min(w.shape) - 2
        s = torch.linalg.svdvals(w)
        torch.testing.assert_close(torch.linalg.svdvals(main)[:rank],
                                   s[:rank], atol=1e-5, rtol=1e-5)
        assert torch.linalg.matrix_rank(main, atol=1e-4) == rank
    assert not layer.bias.requires_grad
    assert {n for n, p in layer.named_parameters() if p.requires_grad} == \
        {'U_res', 'S_res', 'V_res'}
    dense = layer.to_linear()
    torch.testing.assert_close(dense(x), linear(x), atol=1e-5, rtol=1e-5)


def test_backbone_output_equals_the_unsplit_backbone():
    torch.manual_seed(0)
    plain = MODELS.build(dict(TINY, trainable='all'))
    torch.manual_seed(0)
    effort = MODELS.build(dict(TINY, trainable='effort',
                               svd_targets=('qkv', 'proj', 'fc1', 'fc2')))
    assert len(effort.svd_layers()) == 2 * 4
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(effort(x)[0], plain(x)[0], atol=1e-4,
                               rtol=1e-4)
    # Effort's default: the attention projections only, q/k/v separately
    default = MODELS.build(dict(TINY, trainable='effort')).svd_layers()
    assert sorted({n.rsplit('.', 1)[-1] for n in default}) == ['proj', 'qkv']
    assert default['blocks.0.attn.qkv'].num_chunks == 3


def test_only_residuals_and_head_train():
    torch.manual_seed(0)
    model = build_detector()
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    residual = {f'backbone.model.{name}.{p}'
                for name in model.backbone.svd_layers()
                for p in ('U_res', 'S_res', 'V_res')}
    head = {n for n, _ in model.head.named_parameters(prefix='head')}
    params = dict(model.named_parameters())
    assert {n for n, p in params.items() if p.requires_grad} == \
        residual | head
    for name, param in params.items():
        if name in residual | head:
            assert param.grad is not None and param.grad.abs().sum() > 0, \
                name
        else:
            assert param.grad is None, name


def test_regularisers_are_zero_at_init_and_grow_when_perturbed():
    torch.manual_seed(0)
    model = build_detector()
    data = model.data_preprocessor(batch(), training=True)
    losses = model(**data, mode='loss')
    assert 0 <= losses['loss_orth'] < 1e-4
    assert 0 <= losses['loss_sv'] < 1e-3
    layer = model.backbone.svd_layers()['blocks.1.attn.proj']
    with torch.no_grad():
        layer.U_res.add_(0.1 * torch.randn_like(layer.U_res))
    assert layer.orthogonal_loss().item() > 0.05
    with torch.no_grad():
        layer.S_res.add_(1.0)
    assert layer.singular_value_loss().item() > 0.5
    losses = model(**data, mode='loss')
    assert losses['loss_orth'] > 1e-3 and losses['loss_sv'] > 1e-4
    # a residual leaning into the frozen subspace is penalised too
    with torch.no_grad():
        layer.decompose_(layer.weight, layer.bias)
        layer.U_res.copy_(layer.U_main[..., :1])
    assert layer.orthogonal_loss().item() > 0.5


def test_pretrained_weights_are_split_after_loading(timm_checkpoint):
    path, dense = timm_checkpoint
    x = torch.randn(2, 3, 64, 64)
    expected = dense(x)[0]
    torch.manual_seed(0)
    model = build_detector(init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path)))
    layers = model.backbone.svd_layers()
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    optim = torch.optim.SGD(params.values(), lr=0.1)  # built before init
    model.init_weights()
    # split once: the same layers and Parameter objects, holding the
    # decomposition of the loaded weights
    assert model.backbone.svd_layers() == layers
    assert all(p is dict(model.named_parameters())[n]
               for n, p in params.items())
    assert optim.param_groups[0]['params'][0] is next(iter(params.values()))
    for name, layer in layers.items():
        torch.testing.assert_close(
            layer.weight, dense.model.get_submodule(name).weight,
            atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model.backbone(x)[0], expected, atol=1e-4,
                               rtol=1e-4)
    # checkpoint_path splits at construction instead
    built = MODELS.build(dict(TINY, trainable='effort',
                              checkpoint_path=str(path)))
    torch.testing.assert_close(built(x)[0], expected, atol=1e-4, rtol=1e-4)


def test_trained_checkpoint_round_trip(timm_checkpoint, tmp_path):
    path, _ = timm_checkpoint
    model = build_detector(init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path)))
    model.init_weights()
    optim_wrapper = OptimWrapper(torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-2))
    model.train_step(batch(), optim_wrapper)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(x, mode='tensor')
        expected_orth = [m.orthogonal_loss() for m in
                         model.backbone.svd_layers().values()]
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'epoch_1.pth')

    # as tools/test.py and --resume do: build from the config (a Pretrained
    # init_cfg that is never run) and load the qcdet checkpoint
    torch.manual_seed(7)
    fresh = build_detector(init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path)))
    state = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert set(state['state_dict']) == set(fresh.state_dict())
    load_state_dict(fresh, state['state_dict'], strict=True)
    fresh.eval()
    with torch.no_grad():
        torch.testing.assert_close(fresh(x, mode='tensor'), expected)
        for layer, orth in zip(fresh.backbone.svd_layers().values(),
                               expected_orth):
            torch.testing.assert_close(layer.orthogonal_loss(), orth)


def test_train_step_logs_both_regularisers_and_lowers_the_loss():
    torch.manual_seed(0)
    model = build_detector()
    model.train()
    optim_wrapper = OptimWrapper(torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3))
    frozen = {n: t.clone() for n, t in model.state_dict().items()
              if not n.endswith(('U_res', 'S_res', 'V_res'))
              and not n.startswith('head.')}
    data = batch()
    history = [model.train_step(data, optim_wrapper) for _ in range(5)]
    assert {'loss', 'acc', 'loss_orth', 'loss_sv'} <= set(history[0])
    total = [sum(v for k, v in log.items() if 'loss' in k)
             for log in history]
    assert history[-1]['loss'] < history[0]['loss'] and total[-1] < total[0]
    assert history[-1]['loss_orth'] != history[0]['loss_orth']
    state = model.state_dict()
    for name, value in frozen.items():
        torch.testing.assert_close(state[name], value, msg=name)


def test_bad_settings_are_refused():
    linear = nn.Linear(16, 8)
    for rank in (0, 8, 2.0, True):
        with pytest.raises(ValueError, match='svd_rank'):
            SVDResidualLinear(linear, rank)
    with pytest.raises(ValueError, match='num_chunks'):
        SVDResidualLinear(linear, 1, num_chunks=3)
    with pytest.raises(TypeError, match='nn.Linear'):
        SVDResidualLinear(nn.Conv2d(3, 3, 1), 1)
    # a bad rank leaves the module untouched
    net = nn.Module()
    net.qkv, net.fc1 = nn.Linear(16, 48), nn.Linear(16, 4)
    with pytest.raises(ValueError, match='fc1.*svd_rank'):
        apply_svd_residual(net, svd_rank=8)
    assert type(net.qkv) is nn.Linear
    assert apply_svd_residual(net, svd_rank=2) == 2
    assert net.qkv.num_chunks == 3 and net.fc1.num_chunks == 1
    assert apply_svd_residual(net, svd_rank=2) == 0  # already split

    with pytest.raises(ValueError, match='svd_rank'):
        MODELS.build(dict(TINY, trainable='effort', svd_rank=192))
    with pytest.raises(ValueError, match="trainable='effort'"):
        MODELS.build(dict(TINY, trainable='all', svd_rank=1))
    with pytest.raises(ValueError, match='no nn.Linear'):
        MODELS.build(dict(TINY, trainable='effort', svd_targets=('q', )))
    with pytest.raises(ValueError, match='SVDResidualLinear'):
        MODELS.build(dict(type='EffortDetector',
                          backbone=dict(TINY, trainable='layernorm'),
                          head=HEAD))
    with pytest.raises(ValueError, match='orth_loss_weight'):
        MODELS.build(dict(type='EffortDetector', orth_loss_weight=-1.0,
                          backbone=dict(TINY, trainable='effort'),
                          head=HEAD))
