"""CORE: consistent representations of two views of the same face."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from qcdet.registry import MODELS

from .deepfake_detector import DeepfakeDetector, last_feature_map

__all__ = ['COREDetector', 'augment_view', 'consistency_loss']


def augment_view(inputs: torch.Tensor, flip_prob: float = 0.5,
                 crop_scale: Tuple[float, float] = (0.8, 1.0),
                 brightness: float = 0.2,
                 contrast: float = 0.2) -> torch.Tensor:
    """A randomly augmented copy of a normalised batch ``[B, C, H, W]``.

    Per sample: horizontal flip, a random crop covering ``crop_scale`` of
    each side resized back to H×W (one ``grid_sample``), contrast scaled by
    a factor in ``1 ± contrast`` around the image mean and brightness shifted
    by up to ``brightness`` image standard deviations.
    """
    batch = inputs.shape[0]
    device, dtype = inputs.device, inputs.dtype
    low, high = crop_scale
    if not 0 < low <= high <= 1:
        raise ValueError(f'crop_scale must satisfy 0 < low <= high <= 1, got '
                         f'{crop_scale}')
    scale = torch.empty(batch, device=device, dtype=dtype).uniform_(low, high)
    # the crop stays inside the image: centre offset within 1 - scale
    shift_x = (torch.rand(batch, device=device, dtype=dtype) * 2 - 1) * \
        (1 - scale)
    shift_y = (torch.rand(batch, device=device, dtype=dtype) * 2 - 1) * \
        (1 - scale)
    flip = torch.where(
        torch.rand(batch, device=device) < flip_prob,
        torch.tensor(-1.0, device=device, dtype=dtype),
        torch.tensor(1.0, device=device, dtype=dtype))
    theta = torch.zeros(batch, 2, 3, device=device, dtype=dtype)
    theta[:, 0, 0] = scale * flip
    theta[:, 0, 2] = shift_x
    theta[:, 1, 1] = scale
    theta[:, 1, 2] = shift_y
    grid = F.affine_grid(theta, list(inputs.shape), align_corners=False)
    view = F.grid_sample(inputs, grid, mode='bilinear',
                         padding_mode='reflection', align_corners=False)

    mean = view.mean(dim=(1, 2, 3), keepdim=True)
    std = view.std(dim=(1, 2, 3), keepdim=True)
    contrast_factor = 1 + (torch.rand(batch, 1, 1, 1, device=device,
                                      dtype=dtype) * 2 - 1) * contrast
    brightness_shift = (torch.rand(batch, 1, 1, 1, device=device,
                                   dtype=dtype) * 2 - 1) * brightness * std
    return (view - mean) * contrast_factor + mean + brightness_shift


def consistency_loss(rep_a: torch.Tensor,
                     rep_b: torch.Tensor) -> torch.Tensor:
    """CORE's consistency term: mean over samples of ``(1 - cos(a, b))^2``
    between the representations of the two views."""
    cosine = F.cosine_similarity(rep_a, rep_b, dim=1)
    return ((1 - cosine)**2).mean()


@MODELS.register_module()
class COREDetector(DeepfakeDetector):
    """CORE (Ni et al., "CORE: COnsistent REpresentation Learning for Face
    Forgery Detection", CVPR Workshops 2022).

    Two differently augmented views of every face go through the same
    backbone; the loss is the cross-entropy over both views plus
    ``consistency_weight * mean((1 - cos(r1, r2))^2)`` where ``r`` is the
    globally pooled, ReLU-ed last feature map. Inference uses one view.

    Keys of the loss dict: ``loss`` and ``loss_cls_view2`` (half the
    cross-entropy of view 1 and of view 2, so that together they are the
    mean over both views, as in the paper), ``acc`` (view 1) and
    ``loss_consistency``. ``train_feedback`` describes view 1, i.e. the
    input as the data pipeline produced it.

    Simplified: the paper (and DeepfakeBench) make both views in the data
    pipeline with two independent draws of its augmentations; here view 1
    is the batch as the pipeline delivers it and view 2 is made inside the
    model, in tensor space (:func:`augment_view`: random flip, crop-and-
    resize, contrast and brightness jitter; ``view_aug`` sets its
    arguments). That keeps one image per sample in the data path, so the
    quality-centric sampler and FreDA work unchanged.

    Args:
        backbone, head, data_preprocessor, init_cfg: as
            :class:`DeepfakeDetector`.
        consistency_weight: λ of the consistency term (1.0 in the paper's
            reference implementation).
        view_aug: keyword arguments of :func:`augment_view` for view 2.
    """

    def __init__(self, backbone: dict, head: dict,
                 consistency_weight: float = 1.0,
                 view_aug: Optional[dict] = None,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(backbone, head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if consistency_weight < 0:
            raise ValueError(f'consistency_weight must be >= 0, got '
                             f'{consistency_weight}')
        self.consistency_weight = consistency_weight
        self.view_aug = dict(view_aug or {})
        unknown = set(self.view_aug) - {'flip_prob', 'crop_scale',
                                        'brightness', 'contrast'}
        if unknown:
            raise ValueError(f'CORE view_aug has unknown keys '
                             f'{sorted(unknown)}; expected flip_prob, '
                             'crop_scale, brightness, contrast')

    def _feature_and_representation(self, inputs: torch.Tensor):
        feats = last_feature_map(self.backbone(inputs), 'CORE',
                                 type(self.backbone).__name__)
        pooled = F.adaptive_avg_pool2d(feats, 1).flatten(1)
        representation = F.adaptive_avg_pool2d(F.relu(feats), 1).flatten(1)
        return pooled, representation

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[DataSample]) -> dict:
        batch = inputs.shape[0]
        second_view = augment_view(inputs, **self.view_aug)
        pooled, representation = self._feature_and_representation(
            torch.cat([inputs, second_view]))
        logits = self.head(pooled)
        losses = self.classification_loss(logits[:batch], data_samples)
        labels = self._gt_labels(data_samples, logits.device)
        losses['loss'] = 0.5 * losses['loss']
        losses['loss_cls_view2'] = 0.5 * self.head.per_sample_loss(
            logits[batch:], labels).mean()
        losses['loss_consistency'] = self.consistency_weight * \
            consistency_loss(representation[:batch], representation[batch:])
        return losses
