"""Decoder that renders a content map in the style of a forgery map (UCF)."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from qcdet.registry import MODELS

from .reconstruction_decoder import upsample_block

__all__ = ['AdaINDecoder', 'adaptive_instance_norm']


def adaptive_instance_norm(content: torch.Tensor, style: torch.Tensor,
                           eps: float = 1e-5) -> torch.Tensor:
    """Give each channel of ``content`` the spatial mean and std of the same
    channel of ``style`` (Huang & Belongie, ICCV 2017)."""
    c_mean = content.mean(dim=(2, 3), keepdim=True)
    c_std = (content.var(dim=(2, 3), keepdim=True) + eps).sqrt()
    s_mean = style.mean(dim=(2, 3), keepdim=True)
    s_std = (style.var(dim=(2, 3), keepdim=True) + eps).sqrt()
    return (content - c_mean) / c_std * s_std + s_mean


@MODELS.register_module()
class AdaINDecoder(BaseModule):
    """Image from a content map and a forgery (style) map.

    At every scale the content stream is AdaIN-modulated by the forgery
    stream, then both are upsampled x2 by their own conv block, as in UCF's
    conditional decoder. The result is resized to the requested size and
    is linear (inputs are normalised, not necessarily to [-1, 1]).

    Args:
        content_channels: channels of the content map.
        forgery_channels: channels of the forgery map (projected to
            ``content_channels`` by a 1x1 conv first).
        channels: output channels of each x2 stage.
        out_channels: image channels.
        dropout: dropout on both streams before each stage (UCF uses 0.3).
    """

    def __init__(self, content_channels: int, forgery_channels: int,
                 channels: Sequence[int] = (256, 128, 64),
                 out_channels: int = 3, dropout: float = 0.3, init_cfg=None):
        super().__init__(init_cfg)
        if not channels:
            raise ValueError('AdaINDecoder needs at least one stage in '
                             '`channels`')
        self.style_proj = nn.Conv2d(forgery_channels, content_channels, 1)
        self.dropout = nn.Dropout(dropout)
        self.content_blocks = nn.ModuleList()
        self.style_blocks = nn.ModuleList()
        in_channels = content_channels
        for out in channels:
            self.content_blocks.append(upsample_block(in_channels, out))
            self.style_blocks.append(upsample_block(in_channels, out))
            in_channels = out
        self.to_image = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, content: torch.Tensor, forgery: torch.Tensor,
                size: Tuple[int, int]) -> torch.Tensor:
        if content.shape[-2:] != forgery.shape[-2:]:
            forgery = F.interpolate(forgery, size=content.shape[-2:],
                                    mode='bilinear', align_corners=False)
        style = self.style_proj(forgery)
        x = content
        for content_block, style_block in zip(self.content_blocks,
                                              self.style_blocks):
            x = content_block(self.dropout(adaptive_instance_norm(x, style)))
            style = style_block(self.dropout(style))
        image = self.to_image(x)
        if tuple(image.shape[-2:]) != tuple(size):
            image = F.interpolate(image, size=size, mode='bilinear',
                                  align_corners=False)
        return image
