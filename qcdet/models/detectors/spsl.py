"""SPSL: the image's phase spectrum as an extra input channel."""
import torch

from qcdet.models.layers import adapt_rgb_stem_on_load, phase_only_image
from qcdet.registry import MODELS

from .deepfake_detector import DeepfakeDetector

__all__ = ['SPSLDetector']


@MODELS.register_module()
class SPSLDetector(DeepfakeDetector):
    """Spatial-phase detector: RGB plus the phase-only image, 4 channels in.

    Liu, Li, Zhou, Chen, He, Xue, Zhang, Yu, "Spatial-Phase Shallow Learning:
    Rethinking Face Forgery Detection in Frequency Domain", CVPR 2021. The
    up-sampling of face synthesis leaves its trace in the phase spectrum:
    the grey image (mean of the normalised channels) is rebuilt from its
    Fourier phase with unit amplitude (``phase_only_image``) and stacked
    onto the RGB channels, and the backbone takes the 4-channel input
    (``in_channels=4``).

    Simplified / differences:

    - the paper's *shallow* network (a truncated Xception with a small
      receptive field) is replaced by the full backbone, as DeepfakeBench
      does, so that detectors compare at equal capacity;
    - the DFT is taken per image over height and width and is orthonormal,
      so the phase channel has unit RMS (DeepfakeBench transforms over
      every tensor dimension, batch included, with a 1/(H*W)-scaled
      inverse).

    ImageNet weights: an RGB stem kernel in a checkpoint loaded into the
    backbone (e.g. Xception's ``init_cfg=dict(type='Pretrained', ...)``) is
    averaged over RGB and copied to the 4 channels, as DeepfakeBench does
    (``adapt_rgb_stem_on_load``); ``TimmBackbone(checkpoint_path=...)``
    adapts its stem itself.

    Args:
        backbone: backbone config with ``in_channels=4``.
        head, data_preprocessor, init_cfg: as ``DeepfakeDetector``.
    """

    num_input_channels = 4

    def __init__(self, backbone: dict, head: dict, data_preprocessor=None,
                 init_cfg=None):
        if backbone.get('in_channels') != self.num_input_channels:
            raise ValueError(
                'SPSLDetector feeds RGB + phase (4 channels) to the backbone; '
                f"set in_channels=4 in its backbone config {backbone!r}")
        super().__init__(backbone=backbone, head=head,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        adapt_rgb_stem_on_load(self.backbone, mode='average')

    @staticmethod
    def spatial_phase_input(inputs: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] normalised RGB -> [B, 4, H, W] RGB + phase."""
        if inputs.dim() != 4 or inputs.shape[1] != 3:
            raise ValueError('SPSLDetector expects [B, 3, H, W] RGB inputs, '
                             f'got {tuple(inputs.shape)}')
        phase = phase_only_image(inputs.mean(dim=1, keepdim=True))
        return torch.cat([inputs, phase], dim=1)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return super().extract_feat(self.spatial_phase_input(inputs))
