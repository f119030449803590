"""RECCE: learn to reconstruct real faces, classify with the help of the
reconstruction error."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from qcdet.models.decoders import ReconstructionDecoder  # noqa: F401
from qcdet.registry import MODELS

from .deepfake_detector import DeepfakeDetector

__all__ = [
    'RECCEDetector', 'real_reconstruction_loss', 'real_fake_metric_loss'
]


def real_reconstruction_loss(reconstruction: torch.Tensor,
                             inputs: torch.Tensor,
                             labels: torch.Tensor) -> torch.Tensor:
    """Mean L1 reconstruction error over the real samples (label 0) only;
    zero (still in the graph) when the batch has no real."""
    per_sample = (reconstruction - inputs).abs().flatten(1).mean(dim=1)
    is_real = labels == 0
    if not is_real.any():
        return per_sample.sum() * 0
    return per_sample[is_real].mean()


def real_fake_metric_loss(embeddings: torch.Tensor,
                          labels: torch.Tensor) -> torch.Tensor:
    """Pull real embeddings together, push fakes away from reals:
    mean cosine distance between distinct reals plus the mean positive
    cosine similarity between reals and fakes. Zero (in the graph) when a
    term has no pair."""
    normed = F.normalize(embeddings, dim=1)
    real, fake = normed[labels == 0], normed[labels == 1]
    loss = embeddings.sum() * 0
    if len(real) > 1:
        similarity = real @ real.t()
        off_diagonal = ~torch.eye(len(real), dtype=torch.bool,
                                  device=real.device)
        loss = loss + (1 - similarity[off_diagonal]).mean()
    if len(real) and len(fake):
        loss = loss + F.relu(real @ fake.t()).mean()
    return loss


@MODELS.register_module()
class RECCEDetector(DeepfakeDetector):
    """RECCE (Cao et al., "End-to-End Reconstruction-Classification
    Learning for Face Forgery Detection", CVPR 2022).

    An encoder (the backbone) and a decoder learn to reconstruct *real*
    faces only (L1 loss on reals), so fakes reconstruct worse. The
    reconstruction error ``|x - x̂|`` is turned into a spatial attention map
    that re-weights the encoder's last feature map (``f * a + f``) before
    pooling and the real/fake head; a metric loss on the pooled embedding
    makes reals compact and pushes fakes away from them. Total loss:
    ``CE + metric_weight * L_metric + reconstruction_weight * L_rec``
    (0.1 and 0.1 by default, as in the paper).

    Loss dict keys: ``loss`` (CE), ``acc``, ``loss_reconstruction``,
    ``loss_metric``. ``predict``/``tensor`` run the same path (the attention
    needs the reconstruction).

    Simplified: the decoder is a plain upsampling stack fed by one encoder
    map (``decoder_in_index`` picks it from the backbone's tuple, e.g. the
    end of Xception's middle flow with ``out_indices=(3, 4)``); the paper's
    multi-scale graph reasoning between encoder and decoder features, the
    Gaussian noise added to inputs during training and its exact metric
    loss are replaced by the reconstruction-guided attention on the last
    map and the cosine metric loss of :func:`real_fake_metric_loss`.

    Args:
        backbone, head, data_preprocessor, init_cfg: as
            :class:`DeepfakeDetector`.
        decoder: decoder config, e.g. ``dict(type='ReconstructionDecoder',
            in_channels=728)``; its ``in_channels`` must match the map at
            ``decoder_in_index``.
        decoder_in_index: which backbone map the decoder reconstructs from.
        reconstruction_weight: weight of the reconstruction loss on reals.
        metric_weight: weight of the metric loss.
    """

    def __init__(self, backbone: dict, head: dict, decoder: dict,
                 decoder_in_index: int = 0,
                 reconstruction_weight: float = 0.1,
                 metric_weight: float = 0.1,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(backbone, head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.decoder = MODELS.build(decoder)
        self.decoder_in_index = decoder_in_index
        self.reconstruction_weight = reconstruction_weight
        self.metric_weight = metric_weight
        # reconstruction error (3 channels) -> one attention map in (0, 1)
        self.attention = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())

    def _forward_parts(
            self, inputs: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Pooled attended embedding [B, C] and reconstruction [B, 3, H, W]."""
        maps = self.backbone(inputs)
        if not isinstance(maps, (tuple, list)):
            maps = (maps, )
        try:
            decoder_input = maps[self.decoder_in_index]
        except IndexError:
            raise IndexError(
                f'RECCE decoder_in_index={self.decoder_in_index} but '
                f'{type(self.backbone).__name__} returned {len(maps)} maps; '
                'set the backbone out_indices accordingly') from None
        last = maps[-1]
        reconstruction = self.decoder(decoder_input, inputs.shape[-2:])
        error = (reconstruction - inputs).abs()
        error = F.interpolate(error, size=last.shape[-2:], mode='bilinear',
                              align_corners=False)
        attended = last * self.attention(error) + last
        embedding = F.adaptive_avg_pool2d(attended, 1).flatten(1)
        return embedding, reconstruction

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._forward_parts(inputs)[0]

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[DataSample]) -> dict:
        embedding, reconstruction = self._forward_parts(inputs)
        losses = self.classification_loss(self.head(embedding), data_samples)
        labels = self._gt_labels(data_samples, inputs.device)
        losses['loss_reconstruction'] = self.reconstruction_weight * \
            real_reconstruction_loss(reconstruction, inputs, labels)
        losses['loss_metric'] = self.metric_weight * \
            real_fake_metric_loss(embedding, labels)
        return losses
