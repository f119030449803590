"""Parameters and FLOPs of a detector's ``tensor`` forward (backbone, pool,
head on one preprocessed image), counted by fvcore.

    python tools/analysis/get_flops.py configs/qc_effnet_ffpp.py \
        --shape 256 256

fvcore counts one multiply-add as one FLOP (so its "FLOPs" are MACs), and
only the operators it has formulas for (convolutions, matmuls, ...);
element-wise operators it does not know (activations, additions) are left
out and reported as a count of skipped operator calls.
"""
import argparse
import json

import torch
import torch.nn as nn
from fvcore.nn import FlopCountAnalysis
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from qcdet.registry import MODELS
from qcdet.utils.cli import height_width


class TensorForward(nn.Module):
    """``model(x, mode='tensor')`` as a plain one-input module for tracing."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs, mode='tensor')


def parse_args():
    parser = argparse.ArgumentParser(description='Params and FLOPs')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=[256, 256],
                        help='input height and width (one value: square)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def count(model: nn.Module, height: int, width: int) -> dict:
    """``params`` (all parameters, used or not), ``flops`` and the
    operators fvcore skipped (``{name: calls}``)."""
    model.eval()
    analysis = FlopCountAnalysis(TensorForward(model),
                                 torch.zeros(1, 3, height, width))
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    with torch.no_grad():
        flops = analysis.total()
    return dict(params=sum(p.numel() for p in model.parameters()),
                flops=int(flops),
                unsupported_ops=dict(analysis.unsupported_ops()))


def main():
    args = parse_args()
    height, width = height_width(args.shape)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'qcdet'))
    model = MODELS.build(cfg.model)
    result = count(model, height, width)
    skipped = result['unsupported_ops']
    print(f'input shape: (1, 3, {height}, {width})')
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
