"""Seed a stem with more than three input channels from RGB weights.

Frequency-aware detectors feed extra channels (SPSL: RGB + phase, F3Net: 4
DCT bands x RGB) to a backbone whose ImageNet checkpoint has an RGB stem.
DeepfakeBench does not leave that stem random: it averages the RGB kernel
(SPSL) or repeats it divided by the number of copies (F3Net).
"""
from functools import partial

import torch
import torch.nn as nn

__all__ = ['adapt_rgb_kernel', 'adapt_rgb_stem_on_load']

_MODES = ('average', 'tile')


def adapt_rgb_kernel(weight: torch.Tensor, in_channels: int,
                     mode: str) -> torch.Tensor:
    """[out, 3, k, k] RGB kernel -> [out, in_channels, k, k].

    ``'average'``: every input channel gets the mean of the RGB kernels.
    ``'tile'``: the RGB kernel repeated ``in_channels / 3`` times, divided by
    the number of copies (so a stack of identical RGB copies gives the
    original response).
    """
    if weight.dim() != 4 or weight.shape[1] != 3:
        raise ValueError('adapt_rgb_kernel expects an [out, 3, k, k] kernel, '
                         f'got {tuple(weight.shape)}')
    if mode == 'average':
        return weight.mean(dim=1, keepdim=True).repeat(1, in_channels, 1, 1)
    if mode == 'tile':
        if in_channels % 3:
            raise ValueError(f"mode='tile' needs a multiple of 3 input "
                             f'channels, got {in_channels}')
        copies = in_channels // 3
        return weight.repeat(1, copies, 1, 1) / copies
    raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')


def adapt_rgb_stem_on_load(module: nn.Module, mode: str) -> None:
    """Make ``module`` accept checkpoints with an RGB stem: while a state
    dict loads into it (``load_state_dict``, MMEngine's ``Pretrained``
    init), any 4-D kernel with 3 input channels whose parameter has another
    input-channel count (and otherwise the same shape) is adapted by
    ``adapt_rgb_kernel``. Everything else loads unchanged."""
    if mode not in _MODES:
        raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')

    # a module-level function (not a closure) keeps the model picklable
    module.register_load_state_dict_pre_hook(partial(_adapt_rgb_stem, mode))


def _adapt_rgb_stem(mode, module, state_dict, prefix, *args):
    for name, param in module.named_parameters():
        weight = state_dict.get(prefix + name)
        if (isinstance(weight, torch.Tensor) and weight.dim() == 4
                and param.dim() == 4 and weight.shape[1] == 3
                and param.shape[1] != 3
                and weight.shape[0] == param.shape[0]
                and weight.shape[2:] == param.shape[2:]):
            state_dict[prefix + name] = adapt_rgb_kernel(
                weight, param.shape[1], mode)
