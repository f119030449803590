"""SRM detector: an RGB stream and an SRM noise-residual stream, fused.

Luo, Zhang, Yan, Liu, "Generalizing Face Forgery Detection with
High-frequency Features", CVPR 2021 (the ``srm`` detector of DeepfakeBench).
"""
import copy
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from qcdet.models.layers import SRMFilter
from qcdet.registry import MODELS

from .deepfake_detector import DeepfakeDetector, last_feature_map

# the building blocks stay module-level names, out of the package namespace
__all__ = ['SRMDetector']


def _out_channels(backbone: nn.Module, name: str) -> int:
    channels = getattr(backbone, 'out_channels', None)
    if not isinstance(channels, int):
        raise ValueError(
            f'SRMDetector needs the channels of {name} '
            f'({type(backbone).__name__}) to build its fusion module; give '
            'it an int attribute `out_channels` (Xception and TimmBackbone '
            'have one)')
    return channels


class ResidualGuidedAttention(nn.Module):
    """Spatial attention from the SRM residual: a conv layer, then (channel
    mean, channel max) -> 7x7 conv -> sigmoid, giving a [B, 1, H, W] map at
    the residual's resolution."""

    def __init__(self, in_channels: int = 3, hidden_channels: int = 16):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, 3, padding=1,
                      bias=False),
            nn.BatchNorm2d(hidden_channels),
            nn.ReLU(inplace=True))
        self.attention = nn.Conv2d(2, 1, 7, padding=3, bias=False)

    def forward(self, residual: torch.Tensor) -> torch.Tensor:
        feats = self.embed(residual)
        pooled = torch.cat([feats.mean(1, keepdim=True),
                            feats.amax(1, keepdim=True)], dim=1)
        return torch.sigmoid(self.attention(pooled))


class ChannelAttention(nn.Module):
    """Per-channel weights in (0, 1) from a shared MLP over the average- and
    max-pooled map (CBAM's channel attention)."""

    def __init__(self, channels: int, ratio: int = 16):
        super().__init__()
        hidden = max(channels // ratio, 1)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(
            self.mlp(F.adaptive_avg_pool2d(x, 1)) +
            self.mlp(F.adaptive_max_pool2d(x, 1)))


class TwoStreamFusion(nn.Module):
    """The SRM paper's fusion module: concatenate the two streams' maps, 1x1
    conv + BN + ReLU down to ``out_channels``, re-weight by channel
    attention."""

    def __init__(self, in_channels: int, out_channels: int, ratio: int = 16):
        super().__init__()
        self.reduce = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
        self.channel_attention = ChannelAttention(out_channels, ratio)

    def forward(self, rgb: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        if rgb.shape[-2:] != noise.shape[-2:]:
            raise ValueError(
                'SRMDetector: the RGB and SRM streams gave maps of different '
                f'sizes {tuple(rgb.shape[-2:])} and '
                f'{tuple(noise.shape[-2:])}; use backbones with the same '
                'downsampling')
        fused = self.reduce(torch.cat([rgb, noise], dim=1))
        return fused * self.channel_attention(fused)


@MODELS.register_module()
class SRMDetector(DeepfakeDetector):
    """Two-stream detector: RGB and SRM high-frequency noise residuals.

    Luo et al., "Generalizing Face Forgery Detection with High-frequency
    Features", CVPR 2021. The image goes through the three fixed SRM filters
    (``SRMFilter``: noise residuals, truncated to [-3, 3]); the residual
    feeds its own backbone and, through a residual-guided spatial attention
    map ``a``, re-weights the RGB stream (``x * (1 + a)``); the two final
    feature maps are fused (concatenation, 1x1 conv, channel attention),
    pooled and classified by the usual head.

    Simplified with respect to the paper (and DeepfakeBench's
    ``SRMDetector``), so that any backbone works as a black box:

    - one fusion point, at the last feature maps: the paper's multi-scale
      SRM filters on the entry-flow features and its two dual cross-modality
      attention blocks in the middle flow are left out;
    - the residual-guided spatial attention acts on the input image rather
      than on the features after the stem;
    - the loss is the shared head's cross-entropy, not the paper's
      AM-Softmax, so the per-sample feedback the quality-centric framework
      reads stays the same for every detector;
    - borders are padded by reflection before the SRM filters (zero padding
      in the reference code).

    Args:
        backbone: RGB-stream backbone config.
        head: head config; ``in_channels`` = the RGB backbone's channels
            (the fusion module maps back to them).
        srm_backbone: residual-stream backbone config; ``None`` copies
            ``backbone`` (the paper uses two Xceptions, both ImageNet
            initialised).
        srm_truncation: clip of the SRM residuals, in normalised units.
        fusion_ratio: channel-attention reduction ratio of the fusion.
        data_preprocessor, init_cfg: as ``DeepfakeDetector``.
    """

    def __init__(self, backbone: dict, head: dict,
                 srm_backbone: Optional[dict] = None,
                 srm_truncation: float = 3.0, fusion_ratio: int = 16,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(backbone=backbone, head=head,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if srm_backbone is None:
            srm_backbone = copy.deepcopy(backbone)
        self.srm_backbone = MODELS.build(srm_backbone)
        self.srm_filter = SRMFilter(in_channels=3, truncation=srm_truncation)
        self.residual_attention = ResidualGuidedAttention(in_channels=3)
        rgb_channels = _out_channels(self.backbone, 'backbone')
        srm_channels = _out_channels(self.srm_backbone, 'srm_backbone')
        self.fusion = TwoStreamFusion(rgb_channels + srm_channels,
                                      rgb_channels, fusion_ratio)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled fused feature, shape [B, C of the RGB backbone]."""
        residual = self.srm_filter(inputs)
        guided = inputs * (1 + self.residual_attention(residual))
        rgb = last_feature_map(self.backbone(guided), 'SRMDetector',
                               'backbone')
        noise = last_feature_map(self.srm_backbone(residual), 'SRMDetector',
                                 'srm_backbone')
        fused = self.fusion(rgb, noise)
        return F.adaptive_avg_pool2d(fused, 1).flatten(1)
