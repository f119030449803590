"""Parameters and FLOPs of a detector's ``tensor`` forward (backbone, pool,
head on one preprocessed image), counted by fvcore.

    python tools/analysis/get_flops.py configs/qc_effnet_ffpp.py \
        [--shape 256 256]

The input size defaults to the config's own, the test pipeline's
``Resize`` (as ``tools/infer.py`` crops faces), so the numbers are those
of the model as configured; ``--shape`` sets another.

fvcore counts one multiply-add as one FLOP (so its "FLOPs" are MACs), and
only the operators it has formulas for (convolutions, matmuls, ...);
element-wise operators it does not know (activations, additions) are left
out and reported as a count of skipped operator calls. Attention's fused
kernel (``scaled_dot_product_attention``, timm's ViTs) is counted as its
two matmuls, ``Q K^T`` and ``softmax(.) V``. Torch, fvcore and MMEngine
load after the arguments, so ``--help`` answers at once.
"""
import argparse
import json

from qcdet.utils.cli import (
    add_cfg_options_argument,
    apply_cfg_options,
    check_config,
    height_width,
)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs of a detector at its '
        'input size.')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help='input height and width (one value: square; '
                        "default: the test pipeline's Resize, else 256)")
    add_cfg_options_argument(parser)
    return parser.parse_args()


def sdpa_flops(inputs, outputs) -> int:
    """fvcore handle of ``aten::scaled_dot_product_attention``: the
    multiply-adds of ``Q K^T`` and of the weights times ``V``."""
    from fvcore.nn.jit_handles import get_shape
    query, key, value = (get_shape(x) for x in inputs[:3])
    batch = 1
    for size in query[:-2]:
        batch *= size
    (queries, dim), keys, value_dim = query[-2:], key[-2], value[-1]
    return batch * queries * keys * (dim + value_dim)


def count(model, height: int, width: int) -> dict:
    """``params`` (all parameters, used or not), ``flops`` and the
    operators fvcore skipped (``{name: calls}``)."""
    import torch
    from fvcore.nn import FlopCountAnalysis

    class TensorForward(torch.nn.Module):
        """``model(x, mode='tensor')`` as a one-input module for tracing."""

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, inputs):
            return self.model(inputs, mode='tensor')

    model.eval()
    analysis = FlopCountAnalysis(TensorForward(model),
                                 torch.zeros(1, 3, height, width))
    analysis.set_op_handle('aten::scaled_dot_product_attention', sdpa_flops)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    with torch.no_grad():
        flops = analysis.total()
    return dict(params=sum(p.numel() for p in model.parameters()),
                flops=int(flops),
                unsupported_ops=dict(analysis.unsupported_ops()))


def main():
    args = parse_args()
    check_config(args.config)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from qcdet.apis import crop_size_from_cfg
    from qcdet.registry import MODELS
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    if args.shape:
        (height, width), source = height_width(args.shape), '--shape'
    else:
        height = width = crop_size_from_cfg(cfg)
        source = "the config's test Resize"
    init_default_scope(cfg.get('default_scope', 'qcdet'))
    model = MODELS.build(cfg.model)
    result = count(model, height, width)
    skipped = result['unsupported_ops']
    print(f'input shape: (1, 3, {height}, {width}) ({source})')
    print(f'params: {result["params"]} ({result["params"] / 1e6:.3f} M)')
    print(f'flops: {result["flops"]} ({result["flops"] / 1e9:.4f} GFLOPs, '
          'fvcore: one multiply-add = one FLOP)')
    if skipped:
        print(f'WARNING: fvcore skipped {sum(skipped.values())} calls of '
              f'{len(skipped)} operator(s) it has no formula for: '
              + ', '.join(f'{k} x{v}' for k, v in sorted(skipped.items())))
    print(json.dumps(dict(result, shape=[height, width])))


if __name__ == '__main__':
    main()
