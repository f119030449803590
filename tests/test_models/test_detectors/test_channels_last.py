"""With ``data_preprocessor.channels_last`` the detector's weights go
channels_last when the runner moves it to its device (before any DDP
wrapping), its batches too, and its outputs do not change."""
import copy

import torch
from mmengine.config import Config

from qcdet.registry import MODELS


def conv_weights(model):
    return [m.weight for m in model.modules()
            if isinstance(m, torch.nn.Conv2d)]


def test_to_puts_weights_and_batches_in_channels_last():
    cfg = Config.fromfile('configs/baseline_demo.py').model
    torch.manual_seed(0)
    plain = MODELS.build(cfg).eval()
    cfg = copy.deepcopy(cfg)
    cfg.data_preprocessor.channels_last = True
    fast = MODELS.build(cfg).eval()
    fast.load_state_dict(plain.state_dict())
    assert all(w.is_contiguous() for w in conv_weights(fast))

    assert fast.to('cpu') is fast  # what Runner.wrap_model does
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in conv_weights(fast) if w.shape[-1] > 1)
    plain.to('cpu')
    assert all(w.is_contiguous() for w in conv_weights(plain))

    images = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)] * 2
    inputs = fast.data_preprocessor(dict(inputs=images))['inputs']
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(
            fast(inputs),
            plain(plain.data_preprocessor(dict(inputs=images))['inputs']))
