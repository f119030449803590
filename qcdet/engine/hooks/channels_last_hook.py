"""Runs the model in channels_last memory format."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from qcdet.registry import HOOKS

__all__ = ['ChannelsLastHook']


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Puts the model's 4-D weights and buffers into ``torch.channels_last``
    memory format and has its data preprocessor hand batches on in it.

    Why: cuDNN runs half-precision convolutions on tensor cores in NHWC;
    with NCHW tensors each convolution transposes its input and output
    (PyTorch's channels_last tutorial: CNNs train faster under AMP).
    Harmless on CPU. A config switch:
    ``default_hooks = dict(channels_last=dict(type='ChannelsLastHook'))``.

    Converts before training, validation and testing, that is after the
    weights are initialised or loaded, which (``load_state_dict`` copies in
    place) keep the format either way. Under DistributedDataParallel the
    model is already wrapped, and DDP warns that the gradients' strides no
    longer match its buckets (a copy per step); the conversion suits
    single-GPU runs best.
    """

    def before_train(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        model.to(memory_format=torch.channels_last)
        preprocessor = getattr(model, 'data_preprocessor', None)
        if hasattr(preprocessor, 'channels_last'):
            preprocessor.channels_last = True

    def before_val(self, runner) -> None:
        self.before_train(runner)

    def before_test(self, runner) -> None:
        self.before_train(runner)
