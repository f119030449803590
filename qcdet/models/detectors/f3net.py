"""F3Net: frequency-aware decomposition (FAD) in front of the backbone."""
from typing import Sequence

import torch

from qcdet.models.layers import (
    FrequencyAwareDecomposition,
    adapt_rgb_stem_on_load,
)
from qcdet.registry import MODELS

from .deepfake_detector import DeepfakeDetector

__all__ = ['F3NetDetector']


@MODELS.register_module()
class F3NetDetector(DeepfakeDetector):
    """Detector on the frequency-aware decomposition of the image.

    Qian, Yin, Sheng, Chen, Shao, "Thinking in Frequency: Face Forgery
    Detection by Mining Frequency-aware Clues", ECCV 2020. The FAD branch
    (``FrequencyAwareDecomposition``) takes the DCT of every channel, keeps
    the low (first 1/16 of the spectrum), middle (1/16 to 1/8), high (the
    rest) and full bands through fixed masks plus learnable filters, and
    transforms each back: 4 bands x 3 channels = 12 input channels for the
    backbone (``in_channels=12``).

    Simplified: only the FAD branch, as DeepfakeBench (following the
    authors' public re-implementation) does; the paper's second stream on
    local frequency statistics (LFS) and the MixBlock cross-attention
    between the two streams are left out. The bands partition the spectrum
    exactly (DeepfakeBench's masks share their boundary diagonals).

    ImageNet weights: an RGB stem kernel in a checkpoint loaded into the
    backbone (e.g. Xception's ``init_cfg=dict(type='Pretrained', ...)``) is
    copied to each band divided by the number of bands, as DeepfakeBench
    does (``adapt_rgb_stem_on_load``); ``TimmBackbone(checkpoint_path=...)``
    adapts its stem itself.

    Args:
        backbone: backbone config with ``in_channels=12``.
        head: head config.
        img_size: input height = width (the learnable band filters have
            one weight per DCT coefficient).
        band_fractions: band boundaries as shares of the spectrum's area.
        data_preprocessor, init_cfg: as ``DeepfakeDetector``.
    """

    def __init__(self, backbone: dict, head: dict, img_size: int = 256,
                 band_fractions: Sequence[float] = (1 / 16, 1 / 8),
                 data_preprocessor=None, init_cfg=None):
        # low, middle, high and the full band, for each RGB channel
        expected = 3 * (len(band_fractions) + 2)
        if backbone.get('in_channels') != expected:
            raise ValueError(
                f'F3NetDetector feeds {expected} FAD channels (bands x RGB) '
                f'to the backbone; set in_channels={expected} in its backbone '
                f'config {backbone!r}')
        super().__init__(backbone=backbone, head=head,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        adapt_rgb_stem_on_load(self.backbone, mode='tile')
        self.fad = FrequencyAwareDecomposition(img_size, band_fractions)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return super().extract_feat(self.fad(inputs))
