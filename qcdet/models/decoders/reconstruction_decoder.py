"""Upsampling decoder from a backbone feature map back to the input image."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from qcdet.registry import MODELS

__all__ = ['ReconstructionDecoder', 'upsample_block']


def upsample_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """x2 bilinear upsampling then conv-BN-ReLU."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False),
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


@MODELS.register_module()
class ReconstructionDecoder(BaseModule):
    """Stack of x2 upsampling blocks and a 1x1 conv to an image.

    The output is resized to the requested size at the end, so one decoder
    works for any backbone stride; it is linear (no tanh) because inputs are
    normalised with configurable mean/std and need not lie in [-1, 1].

    Args:
        in_channels: channels of the feature map it decodes.
        channels: output channels of each x2 upsampling block.
        out_channels: image channels.
    """

    def __init__(self, in_channels: int,
                 channels: Sequence[int] = (256, 128, 64, 32),
                 out_channels: int = 3, init_cfg=None):
        super().__init__(init_cfg)
        if not channels:
            raise ValueError('ReconstructionDecoder needs at least one block '
                             'in `channels`')
        blocks = []
        for out in channels:
            blocks.append(upsample_block(in_channels, out))
            in_channels = out
        self.blocks = nn.Sequential(*blocks)
        self.to_image = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, feats: torch.Tensor,
                size: Tuple[int, int]) -> torch.Tensor:
        """[B, C, h, w] features -> [B, out_channels, *size] image."""
        image = self.to_image(self.blocks(feats))
        if tuple(image.shape[-2:]) != tuple(size):
            image = F.interpolate(image, size=size, mode='bilinear',
                                  align_corners=False)
        return image
