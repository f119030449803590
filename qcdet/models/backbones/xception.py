"""Xception (Chollet, CVPR 2017), laid out so that the ImageNet checkpoint
of Cadene's ``pretrainedmodels`` (``xception-b5690688.pth``, the one
DeepfakeBench and FaceForensics++ start from) loads by name.

Checkpoint layout this module matches::

    conv1, bn1, conv2, bn2     plain 3x3 convs of the stem
    block1 .. block12          residual blocks: ``skip``/``skipbn`` (1x1
                               projection, where channels or stride change)
                               and ``rep.<i>``
    conv3, bn3, conv4, bn4     separable convs of the exit flow
    fc                         ImageNet classifier (ignored here)

A separable conv is ``conv1`` (3x3 depthwise) followed by ``pointwise``
(1x1); the checkpoint stores pointwise weights as 2-D ``[out, in]``, which
``SeparableConv2d`` reshapes on load.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from qcdet.registry import MODELS

__all__ = ['Xception', 'SeparableConv2d', 'XceptionBlock']

# Per block: (in_channels, out_channels, num_separable_convs, stride,
# starts_with_relu, grows_first). grows_first: the first separable conv
# changes the channel count (otherwise the last one does).
_BLOCK_SPECS = (
    # entry flow
    (64, 128, 2, 2, False, True),
    (128, 256, 2, 2, True, True),
    (256, 728, 2, 2, True, True),
    # middle flow
    *[(728, 728, 3, 1, True, True)] * 8,
    # exit flow
    (728, 1024, 2, 2, True, False),
)

# Feature maps the backbone can return (``out_indices``): the output of
# block1, block2, block3 (end of entry flow), block11 (end of middle flow),
# and the final 2048-channel map.
_STAGE_ENDS = ('block1', 'block2', 'block3', 'block11', 'final')
_STAGE_CHANNELS = (128, 256, 728, 728, 2048)


class SeparableConv2d(nn.Module):
    """Depthwise conv (``conv1``) then 1x1 pointwise conv, both bias-free."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 3, stride: int = 1, padding: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, in_channels, kernel_size, stride,
                               padding, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.conv1(x))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The pretrainedmodels checkpoint stores 1x1 kernels as [out, in].
        key = prefix + 'pointwise.weight'
        weight = state_dict.get(key)
        if weight is not None and weight.dim() == 2:
            state_dict[key] = weight[:, :, None, None]
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class XceptionBlock(nn.Module):
    """Residual block: ``rep`` (ReLU, separable conv, BN repeated, then a
    max pool when strided) plus an identity or 1x1-projection shortcut."""

    def __init__(self, in_channels: int, out_channels: int, num_convs: int,
                 stride: int, starts_with_relu: bool, grows_first: bool):
        super().__init__()
        if grows_first:
            conv_channels = [(in_channels, out_channels)] + \
                [(out_channels, out_channels)] * (num_convs - 1)
        else:
            conv_channels = [(in_channels, in_channels)] * (num_convs - 1) + \
                [(in_channels, out_channels)]

        layers = []
        for i, (cin, cout) in enumerate(conv_channels):
            if i > 0 or starts_with_relu:
                # The first ReLU must not act in place: the shortcut still
                # reads the block's input.
                layers.append(nn.ReLU(inplace=i > 0))
            layers.append(SeparableConv2d(cin, cout))
            layers.append(nn.BatchNorm2d(cout))
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride, 1))
        # Index positions inside ``rep`` are part of the checkpoint's key
        # names (e.g. ``block2.rep.1.pointwise.weight``).
        self.rep = nn.Sequential(*layers)

        if in_channels != out_channels or stride != 1:
            self.skip = nn.Conv2d(in_channels, out_channels, 1, stride,
                                  bias=False)
            self.skipbn = nn.BatchNorm2d(out_channels)
        else:
            self.skip = None
            self.skipbn = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.skip is None else self.skipbn(self.skip(x))
        return self.rep(x) + shortcut


@MODELS.register_module()
class Xception(BaseModule):
    """Xception backbone returning a tuple of feature maps.

    Args:
        in_channels: input channels (3 for RGB; other values cannot use the
            ImageNet ``conv1`` weights).
        out_indices: which maps to return, indexing
            (block1, block2, block3, block11, final); the final map has 2048
            channels and is taken after the last ReLU, as the ImageNet
            classifier sees it.
        init_cfg: e.g. ``dict(type='Pretrained',
            checkpoint='pretrained/xception-b5690688.pth')``.
    """

    def __init__(self, in_channels: int = 3,
                 out_indices: Sequence[int] = (-1, ), init_cfg=None):
        super().__init__(init_cfg)
        num_stages = len(_STAGE_ENDS)
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(f'Xception out_indices entry {index} is out '
                                 f'of range for stages {_STAGE_ENDS}')
        # Maps come out in network order whatever order they were asked in.
        self.out_indices = sorted({i % num_stages for i in out_indices})
        self.out_channels = _STAGE_CHANNELS[self.out_indices[-1]]

        self.conv1 = nn.Conv2d(in_channels, 32, 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, 0, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        for i, spec in enumerate(_BLOCK_SPECS, start=1):
            self.add_module(f'block{i}', XceptionBlock(*spec))
        self.conv3 = SeparableConv2d(1024, 1536)
        self.bn3 = nn.BatchNorm2d(1536)
        self.conv4 = SeparableConv2d(1536, 2048)
        self.bn4 = nn.BatchNorm2d(2048)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        wanted = {_STAGE_ENDS[i] for i in self.out_indices}
        outs = []
        for i in range(1, len(_BLOCK_SPECS) + 1):
            x = getattr(self, f'block{i}')(x)
            if f'block{i}' in wanted:
                outs.append(x)
        x = self.relu(self.bn3(self.conv3(x)))
        x = self.relu(self.bn4(self.conv4(x)))
        if 'final' in wanted:
            outs.append(x)
        return tuple(outs)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The ImageNet classifier is named ``fc`` in the checkpoint file and
        # ``last_linear`` in pretrainedmodels' in-memory model; neither
        # belongs to the backbone.
        for name in ('fc', 'last_linear'):
            for suffix in ('weight', 'bias'):
                state_dict.pop(f'{prefix}{name}.{suffix}', None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
