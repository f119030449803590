"""ChannelsLastHook turns a detector and its batches channels_last."""
from types import SimpleNamespace

import torch
from mmengine.config import Config

from qcdet.engine.hooks import ChannelsLastHook
from qcdet.registry import MODELS


def test_hook_converts_the_model_and_its_preprocessor():
    model = MODELS.build(
        Config.fromfile('configs/baseline_demo.py').model)
    convs = [m.weight for m in model.modules()
             if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(w.is_contiguous() for w in convs)
    hook = ChannelsLastHook()
    hook.before_train(SimpleNamespace(model=model))
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in convs)  # the same parameters, converted in place
    assert model.data_preprocessor.channels_last
    images = [torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)] * 2
    inputs = model.data_preprocessor(dict(inputs=images))['inputs']
    assert inputs.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        assert model(inputs).shape == (2, 2)
    # again before validation / testing: a no-op on a converted model
    hook.before_val(SimpleNamespace(model=model))
    assert all(w.is_contiguous(memory_format=torch.channels_last)
               for w in convs)
