"""Export a detector to ONNX, with its data preprocessor inside, and check
the ONNX model against PyTorch with onnxruntime.

    python tools/deploy/export_onnx.py CONFIG CHECKPOINT --out model.onnx \
        [--shape 256 256] [--opset 17] [--atol 1e-4]

The ONNX model takes what ``LoadFrame`` gives: ``images``, float32 N x 3 x H
x W, **BGR, 0-255, not normalised** (cast uint8 frames to float32). It does
the channel swap and mean/std normalisation of the config's
``data_preprocessor`` itself and returns ``probs``, N x 2 softmax
probabilities (real, fake), as ``pred_score`` in ``tools/test.py``. The
batch axis is dynamic; H and W are fixed to ``--shape`` (the size of the
config's test pipeline).
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from qcdet.registry import MODELS
from qcdet.utils.checkpoint import use_safe_checkpoint_loading
from qcdet.utils.cli import height_width


class RawImageDetector(nn.Module):
    """Preprocessor + detector + softmax on a raw BGR 0-255 NCHW batch."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        pre = model.data_preprocessor
        self.bgr_to_rgb = bool(getattr(pre, '_channel_conversion', False))
        self.normalize = bool(getattr(pre, '_enable_normalize', False))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if self.bgr_to_rgb:
            x = x.flip(1)
        if self.normalize:
            pre = self.model.data_preprocessor
            x = (x - pre.mean) / pre.std
        return self.model(x, mode='tensor').softmax(dim=1)


def parse_args():
    parser = argparse.ArgumentParser(description='Export to ONNX')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', default='model.onnx', help='ONNX file')
    parser.add_argument('--shape', type=int, nargs='+', default=[256, 256],
                        help='input height and width (one value: square)')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='largest accepted |p_fake(onnx) - p_fake(torch)|')
    parser.add_argument('--check-batch', type=int, default=3,
                        help='batch size of the equivalence check (differs '
                        'from the export batch of 1 to test the dynamic axis)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def build_model(cfg: Config, checkpoint: str) -> nn.Module:
    init_default_scope(cfg.get('default_scope', 'qcdet'))
    model = MODELS.build(cfg.model)
    use_safe_checkpoint_loading()
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.eval()


def export(model: nn.Module, out: str, height: int, width: int,
           opset: int) -> None:
    wrapper = RawImageDetector(model).eval()
    dummy = torch.zeros(1, 3, height, width)
    torch.onnx.export(wrapper, (dummy, ), out, input_names=['images'],
                      output_names=['probs'], opset_version=opset,
                      dynamic_axes={'images': {0: 'batch'},
                                    'probs': {0: 'batch'}},
                      dynamo=False)


def torch_fake_probs(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """Fake probabilities along the path ``tools/test.py`` takes:
    ``data_preprocessor`` on uint8 CHW tensors, then ``predict``."""
    data = dict(inputs=[torch.from_numpy(img) for img in images])
    with torch.no_grad():
        data = model.data_preprocessor(data, training=False)
        samples = model(data['inputs'], None, mode='predict')
    return np.array([float(s.pred_score[1]) for s in samples])


def check(model: nn.Module, out: str, height: int, width: int, batch: int,
          seed: int) -> float:
    """Max |p_fake| difference between onnxruntime and PyTorch on a random
    uint8 batch."""
    import onnxruntime as ort
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (batch, 3, height, width), dtype=np.uint8)
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    probs = session.run(['probs'], {'images': images.astype(np.float32)})[0]
    if probs.shape != (batch, 2):
        raise RuntimeError(f'ONNX output shape {probs.shape}, expected '
                           f'({batch}, 2)')
    return float(np.abs(probs[:, 1] - torch_fake_probs(model, images)).max())


def main():
    args = parse_args()
    height, width = height_width(args.shape)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg, args.checkpoint)
    export(model, args.out, height, width, args.opset)
    print(f'exported {args.out}: input images float32 [batch, 3, {height}, '
          f'{width}] BGR 0-255, output probs [batch, 2] (real, fake), '
          f'opset {args.opset}')
    diff = check(model, args.out, height, width, args.check_batch, args.seed)
    print(f'max abs diff of fake probability (onnxruntime vs PyTorch, batch '
          f'{args.check_batch}): {diff:.3g} (tolerance {args.atol:g})')
    if not diff <= args.atol:
        raise SystemExit(f'ONNX output differs from PyTorch by {diff:.3g} > '
                         f'{args.atol:g}')
    print('equivalence check passed')


if __name__ == '__main__':
    main()
