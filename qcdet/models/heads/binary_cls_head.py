"""Real/fake classification head."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from qcdet.registry import MODELS

__all__ = ['BinaryClsHead']


@MODELS.register_module()
class BinaryClsHead(BaseModule):
    """Dropout + linear layer from pooled features to two logits
    (index 0 real, 1 fake), with a per-sample cross-entropy.

    The loss is returned per sample (not reduced) because the quality
    curriculum scores every sample by the detector's feedback.

    Args:
        in_channels: channels of the pooled feature (the backbone's last
            map).
        dropout: drop probability before the linear layer.
        label_smoothing: cross-entropy label smoothing.
        init_cfg: defaults to a small normal init of the linear layer.
    """

    num_classes = 2

    def __init__(self, in_channels: int, dropout: float = 0.0,
                 label_smoothing: float = 0.0, init_cfg=None):
        if init_cfg is None:
            init_cfg = dict(type='Normal', layer='Linear', std=0.01)
        super().__init__(init_cfg)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'dropout must be in [0, 1), got {dropout}')
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                f'label_smoothing must be in [0, 1), got {label_smoothing}')
        self.in_channels = in_channels
        self.label_smoothing = label_smoothing
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_channels, self.num_classes)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """[B, in_channels] pooled features -> [B, 2] logits."""
        if feats.dim() != 2 or feats.shape[1] != self.in_channels:
            raise ValueError(
                f'BinaryClsHead expects features of shape [B, '
                f'{self.in_channels}], got {tuple(feats.shape)}; set the '
                "head's in_channels to the backbone's output channels")
        return self.fc(self.dropout(feats))

    def per_sample_loss(self, logits: torch.Tensor,
                        labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of each sample, shape [B]."""
        return F.cross_entropy(
            logits,
            labels,
            reduction='none',
            label_smoothing=self.label_smoothing)
