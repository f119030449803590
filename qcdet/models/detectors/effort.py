"""Effort: a detector trained in the residual SVD subspace of a frozen ViT."""
from typing import List, Sequence

import torch
from mmpretrain.structures import DataSample

from qcdet.models.layers import SVDResidualLinear
from qcdet.registry import MODELS

from .deepfake_detector import DeepfakeDetector

__all__ = ['EffortDetector']


@MODELS.register_module()
class EffortDetector(DeepfakeDetector):
    """Effort (Yan et al., "Orthogonal Subspace Decomposition for
    Generalizable AI-Generated Image Detection", ICML 2025).

    The backbone's projections are :class:`SVDResidualLinear` layers (e.g.
    ``ClipViTBackbone(trainable='effort')``): the principal singular
    directions of the pre-trained weights stay frozen, so fitting the
    training fakes cannot collapse the feature space the foundation model
    learnt; only the smallest directions and the head train.

    Keys of the loss dict: ``loss`` and ``acc`` (cross-entropy, as
    :class:`DeepfakeDetector`), ``loss_orth`` and ``loss_sv``: each layer's
    :meth:`~SVDResidualLinear.orthogonal_loss` and
    :meth:`~SVDResidualLinear.singular_value_loss`, averaged over all
    decomposed projections (q, k and v of a fused qkv count separately)
    and weighted, as Effort's ``lambda_reg * sum(terms) / num_layers``.

    Args:
        backbone, head, data_preprocessor, init_cfg: as
            :class:`DeepfakeDetector`.
        orth_loss_weight: weight of ``loss_orth`` (1.0, Effort's
            ``lambda_reg``).
        sv_loss_weight: weight of ``loss_sv`` (1.0, likewise). Effort's
            released training script leaves both terms commented out
            (cross-entropy only): set both weights to 0 for that.
    """

    def __init__(self, backbone: dict, head: dict,
                 orth_loss_weight: float = 1.0, sv_loss_weight: float = 1.0,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(backbone, head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        for name, value in (('orth_loss_weight', orth_loss_weight),
                            ('sv_loss_weight', sv_loss_weight)):
            if value < 0:
                raise ValueError(f'{name} must be >= 0, got {value}')
        self.orth_loss_weight = orth_loss_weight
        self.sv_loss_weight = sv_loss_weight
        if not self.svd_layers():
            raise ValueError(
                f'EffortDetector needs a backbone with SVDResidualLinear '
                f'layers, e.g. ClipViTBackbone(trainable=\'effort\'); '
                f'{type(self.backbone).__name__} has none')

    def svd_layers(self) -> List[SVDResidualLinear]:
        return [
            module for module in self.backbone.modules()
            if isinstance(module, SVDResidualLinear)
        ]

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[DataSample]) -> dict:
        losses = super().loss(inputs, data_samples)
        layers = self.svd_layers()
        zero = losses['loss'].new_zeros(())
        losses['loss_orth'] = self.orth_loss_weight * torch.cat(
            [layer.orthogonal_loss() for layer in layers]).mean() \
            if self.orth_loss_weight else zero
        losses['loss_sv'] = self.sv_loss_weight * torch.cat(
            [layer.singular_value_loss() for layer in layers]).mean() \
            if self.sv_loss_weight else zero
        return losses
