"""UCF: disentangle content, method-specific and common forgery features."""
import random
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from qcdet.models.decoders import AdaINDecoder  # noqa: F401
from qcdet.registry import MODELS
from qcdet.utils.dataset_names import FFPP_STANDARD_METHODS

from .deepfake_detector import DeepfakeDetector, last_feature_map

__all__ = ['UCFDetector', 'partner_indices', 'pairwise_contrastive_loss']

IGNORE_INDEX = -100
FFPP_METHODS = ('real', ) + FFPP_STANDARD_METHODS


def partner_indices(labels: torch.Tensor) -> torch.Tensor:
    """For each sample, the index of a partner in the batch for cross
    reconstruction: a sample of the other label (reals and fakes are paired
    cyclically), or, in a one-label batch, the next sample."""
    batch = len(labels)
    partners = torch.roll(torch.arange(batch, device=labels.device), 1)
    real = torch.nonzero(labels == 0).flatten()
    fake = torch.nonzero(labels != 0).flatten()
    if len(real) and len(fake):
        partners[real] = fake[torch.arange(len(real),
                                           device=labels.device) % len(fake)]
        partners[fake] = real[torch.arange(len(fake),
                                           device=labels.device) % len(real)]
    return partners


def pairwise_contrastive_loss(feats: torch.Tensor, labels: torch.Tensor,
                              margin: float) -> torch.Tensor:
    """Margin contrastive loss over all pairs of valid samples
    (``labels != IGNORE_INDEX``): squared distance for same-label pairs,
    squared hinge ``max(0, margin - d)^2`` for different-label pairs."""
    valid = labels != IGNORE_INDEX
    feats, labels = feats[valid], labels[valid]
    if len(labels) < 2:
        return feats.sum() * 0
    distance = torch.cdist(feats, feats)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~torch.eye(len(labels), dtype=torch.bool,
                              device=feats.device)
    per_pair = torch.where(same, distance**2,
                           F.relu(margin - distance)**2)
    return per_pair[off_diagonal].mean()


def _projection(in_channels: int, hidden_channels: int,
                out_channels: int) -> nn.Sequential:
    """1x1 conv MLP on a feature map."""
    return nn.Sequential(
        nn.Conv2d(in_channels, hidden_channels, 1),
        nn.LeakyReLU(inplace=True),
        nn.Conv2d(hidden_channels, out_channels, 1))


def _pool(x: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, 1).flatten(1)


@MODELS.register_module()
class UCFDetector(DeepfakeDetector):
    """UCF (Yan et al., "UCF: Uncovering Common Features for Generalizable
    Deepfake Detection", ICCV 2023).

    A forgery encoder (``backbone``) and a content encoder
    (``content_backbone``) encode every face. Two 1x1-conv projections
    split the forgery map into a *specific* part (classified into forgery
    methods) and a *common* part (classified real/fake; the only branch
    used at inference). An AdaIN decoder rebuilds the image from the
    content map styled by the forgery map (specific ⊕ common): each image
    from its own codes (self reconstruction) and from its own content with
    a partner's forgery code (cross reconstruction; the target is the image
    the content came from, as in the authors' implementation). With
    probability ``shuffle_common_prob`` the common codes are shuffled among
    samples of the same label before decoding, so they cannot carry
    anything sample-specific. Loss: ``CE_common + specific_weight *
    CE_specific + reconstruction_weight * (L1_self + L1_cross) +
    contrastive_weight * L_con`` (weights 0.1, 0.3, 0.05 as in the paper's
    reference implementation).

    Method classes: ``data_sample.metainfo['method']`` mapped through
    ``methods`` (``'real'`` must be one of them for reals to count); a
    method not in the list is ignored by the specific cross-entropy and
    the specific contrastive term.

    Loss dict keys: ``loss`` (common CE), ``acc``, ``loss_specific``,
    ``loss_reconstruction``, ``loss_contrastive``; ``acc_specific`` is
    logged.

    Simplified: (1) the paper pairs each fake with its source real, which
    shares its content; here partners are other-label samples of the same
    batch (:func:`partner_indices`), so the data pipeline is unchanged.
    (2) The contrastive loss is a pairwise margin loss
    (:func:`pairwise_contrastive_loss`) on the pooled common features with
    real/fake labels plus on the pooled specific features with method
    labels, not the paper's anchor-based form. (3) The decoder output is
    linear (no tanh) and resized to the input, so any normalisation and
    backbone stride work. (4) Classification uses the unshuffled common
    features, so per-sample feedback belongs to the right sample.

    Args:
        backbone: forgery encoder config.
        head: real/fake head on the pooled common feature, e.g.
            ``dict(type='BinaryClsHead', in_channels=512)``
            (``in_channels`` = ``feature_channels``).
        decoder: e.g. ``dict(type='AdaINDecoder', content_channels=256,
            forgery_channels=1024)`` (= ``content_channels`` and
            ``2 * feature_channels``).
        content_backbone: content encoder config; defaults to a copy of
            ``backbone``.
        encoder_channels: channels of the encoders' last map.
        feature_channels: channels of the specific and of the common map.
        hidden_channels: hidden width of their 1x1-conv projections.
        content_channels: channels the content map is projected to.
        methods: method names, index = specific class.
        specific_weight, reconstruction_weight, contrastive_weight: loss
            weights.
        contrastive_margin: margin of the contrastive loss (3.0 in UCF).
        shuffle_common_prob: probability of shuffling common codes within
            each label before decoding (0.7 in UCF).
    """

    def __init__(self, backbone: dict, head: dict, decoder: dict,
                 encoder_channels: int,
                 content_backbone: Optional[dict] = None,
                 feature_channels: int = 512,
                 hidden_channels: int = 1024,
                 content_channels: int = 256,
                 methods: Sequence[str] = FFPP_METHODS,
                 specific_weight: float = 0.1,
                 reconstruction_weight: float = 0.3,
                 contrastive_weight: float = 0.05,
                 contrastive_margin: float = 3.0,
                 shuffle_common_prob: float = 0.7,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(backbone, head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        methods = list(methods)
        if len(methods) < 2 or len(set(methods)) != len(methods):
            raise ValueError(f'UCFDetector methods must be at least two '
                             f'distinct names, got {methods}')
        self.methods = methods
        self.content_backbone = MODELS.build(
            content_backbone if content_backbone is not None else backbone)
        self.specific_proj = _projection(encoder_channels, hidden_channels,
                                         feature_channels)
        self.common_proj = _projection(encoder_channels, hidden_channels,
                                       feature_channels)
        self.content_proj = nn.Conv2d(encoder_channels, content_channels, 1)
        self.specific_head = nn.Sequential(
            nn.Linear(feature_channels, hidden_channels),
            nn.LeakyReLU(inplace=True), nn.Dropout(0.2),
            nn.Linear(hidden_channels, len(methods)))
        self.decoder = MODELS.build(decoder)
        self.specific_weight = specific_weight
        self.reconstruction_weight = reconstruction_weight
        self.contrastive_weight = contrastive_weight
        self.contrastive_margin = contrastive_margin
        self.shuffle_common_prob = shuffle_common_prob

    def method_targets(self, data_samples: Sequence[DataSample],
                       device=None) -> torch.Tensor:
        """Specific-class index of each sample (``IGNORE_INDEX`` when its
        method is missing or not in ``methods``)."""
        targets: List[int] = []
        for sample in data_samples:
            method = sample.metainfo.get('method')
            targets.append(self.methods.index(method)
                           if method in self.methods else IGNORE_INDEX)
        return torch.tensor(targets, dtype=torch.long, device=device)

    def _forgery_maps(self, inputs: torch.Tensor):
        forgery = last_feature_map(self.backbone(inputs), 'UCFDetector',
                                   type(self.backbone).__name__)
        return self.specific_proj(forgery), self.common_proj(forgery)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled common forgery feature, the one the real/fake head sees."""
        return _pool(self._forgery_maps(inputs)[1])

    def _shuffle_within_labels(self, common: torch.Tensor,
                               labels: torch.Tensor) -> torch.Tensor:
        if random.random() >= self.shuffle_common_prob:
            return common
        order = torch.arange(len(labels), device=labels.device)
        for value in labels.unique():
            members = torch.nonzero(labels == value).flatten()
            shuffled = members[torch.randperm(len(members),
                                              device=labels.device)]
            order[members] = shuffled
        return common[order]

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[DataSample]) -> dict:
        specific, common = self._forgery_maps(inputs)
        content = self.content_proj(
            last_feature_map(self.content_backbone(inputs), 'UCFDetector',
                             type(self.content_backbone).__name__))
        specific_vec, common_vec = _pool(specific), _pool(common)

        losses = self.classification_loss(self.head(common_vec), data_samples)
        labels = self._gt_labels(data_samples, inputs.device)
        targets = self.method_targets(data_samples, inputs.device)

        specific_logits = self.specific_head(specific_vec)
        valid = targets != IGNORE_INDEX
        if valid.any():
            specific_ce = F.cross_entropy(specific_logits, targets,
                                          ignore_index=IGNORE_INDEX)
            with torch.no_grad():
                losses['acc_specific'] = (specific_logits[valid].argmax(1) ==
                                          targets[valid]).float().mean()
        else:
            specific_ce = specific_logits.sum() * 0
        losses['loss_specific'] = self.specific_weight * specific_ce

        forgery_code = torch.cat(
            [specific, self._shuffle_within_labels(common, labels)], dim=1)
        size = inputs.shape[-2:]
        self_reconstruction = self.decoder(content, forgery_code, size)
        cross_reconstruction = self.decoder(
            content, forgery_code[partner_indices(labels)], size)
        losses['loss_reconstruction'] = self.reconstruction_weight * (
            F.l1_loss(self_reconstruction, inputs) +
            F.l1_loss(cross_reconstruction, inputs))

        losses['loss_contrastive'] = self.contrastive_weight * (
            pairwise_contrastive_loss(common_vec, labels,
                                      self.contrastive_margin) +
            pairwise_contrastive_loss(specific_vec, targets,
                                      self.contrastive_margin))
        return losses
