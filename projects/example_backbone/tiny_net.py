"""ExampleTinyNet: a backbone that lives outside the qcdet package.

It registers itself in qcdet's MODELS when this file is imported; a config
imports it with ``custom_imports`` (see README.md).
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from qcdet.registry import MODELS

__all__ = ['ExampleTinyNet']


@MODELS.register_module()
class ExampleTinyNet(BaseModule):
    """A plain CNN: per stage a stride-2 3x3 conv, BN and ReLU.

    Like every qcdet backbone it returns a tuple of feature maps (here just
    the last one) and exposes ``out_channels`` for the head. Weights load
    through MMEngine's ``init_cfg=dict(type='Pretrained', checkpoint=PATH)``.

    Args:
        in_channels: input channels.
        channels: output channels of each stage.
    """

    def __init__(self, in_channels: int = 3,
                 channels: Sequence[int] = (16, 32, 64, 128), init_cfg=None):
        super().__init__(init_cfg)
        if not channels:
            raise ValueError('ExampleTinyNet needs at least one stage')
        stages = []
        for out in channels:
            stages.append(nn.Sequential(
                nn.Conv2d(in_channels, out, 3, stride=2, padding=1,
                          bias=False),
                nn.BatchNorm2d(out), nn.ReLU(inplace=True)))
            in_channels = out
        self.stages = nn.Sequential(*stages)
        self.out_channels = channels[-1]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        return (self.stages(x), )
