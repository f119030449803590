"""Export a detector to ONNX with its data preprocessor inside, and check it
against PyTorch (``tools/deploy/export_onnx.py``)."""
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from qcdet.registry import MODELS
from qcdet.utils.checkpoint import use_safe_checkpoint_loading
from qcdet.utils.optional_imports import import_optional

__all__ = ['RawImageDetector', 'build_model', 'export', 'torch_fake_probs',
           'check']


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


def build_model(cfg: Config, checkpoint: str) -> nn.Module:
    init_default_scope(cfg.get('default_scope', 'qcdet'))
    model = MODELS.build(cfg.model)
    use_safe_checkpoint_loading()
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.eval()


def export(model: nn.Module, out: str, height: int, width: int,
           opset: int) -> None:
    import_optional('onnx', 'the ONNX export')  # torch.onnx needs it
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
    ort = import_optional('onnxruntime', 'checking the ONNX export')
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (batch, 3, height, width), dtype=np.uint8)
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    probs = session.run(['probs'], {'images': images.astype(np.float32)})[0]
    if probs.shape != (batch, 2):
        raise RuntimeError(f'ONNX output shape {probs.shape}, expected '
                           f'({batch}, 2)')
    return float(np.abs(probs[:, 1] - torch_fake_probs(model, images)).max())
