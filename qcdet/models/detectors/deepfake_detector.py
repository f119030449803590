"""Frame-level deepfake detector: backbone -> global average pool -> head."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from qcdet.datasets.samplers.curriculum_contract import (
    FREDA_APPLIED,
    SAMPLE_IDX,
    TrainFeedback,
)
from qcdet.registry import MODELS

__all__ = ['DeepfakeDetector']


def last_feature_map(feats, detector: str, source: str) -> torch.Tensor:
    """The last of a backbone's outputs, checked to be a [B, C, H, W] map
    (the detectors that fuse or decode maps need one, not pooled vectors)."""
    if isinstance(feats, (tuple, list)):
        feats = feats[-1]
    if feats.dim() != 4:
        raise ValueError(f'{detector} needs [B, C, H, W] feature maps; '
                         f'{source} returned shape {tuple(feats.shape)}')
    return feats


@MODELS.register_module()
class DeepfakeDetector(BaseModel):
    """Binary (real/fake) classifier over face crops.

    Any backbone that returns a feature map, or a tuple of them, works
    (qcdet's ``Xception`` / ``TimmBackbone``, ``mmpretrain.ResNet``,
    ``mmpretrain.EfficientNet``, ...); the last map is pooled.

    In ``'loss'`` mode the detector also leaves the per-sample outcome of
    the same forward pass in ``self.train_feedback`` for
    ``QualityScoreHook``: a ``TrainFeedback`` (``sample_idx``,
    ``fake_prob``, ``loss``, ``label``, ``freda``; detached, on CPU) read
    from the batch's ``SAMPLE_IDX`` and ``FREDA_APPLIED`` metainfo. See
    ``qcdet.datasets.samplers.curriculum_contract`` and docs/contracts.md.

    Args:
        backbone: backbone config.
        head: head config, e.g.
            ``dict(type='BinaryClsHead', in_channels=2048)``.
        data_preprocessor: defaults to ``DeepfakeDataPreprocessor`` without
            normalisation.
        init_cfg: optional init config for the whole detector.

    With ``data_preprocessor.channels_last=True`` (the FF++ configs), moving
    the model with ``to()`` also puts its weights in ``channels_last``
    memory format: the runner moves the model to its device right before
    wrapping it in DistributedDataParallel, and converting it any later
    would make DDP copy every gradient into its buckets.
    """

    def __init__(self, backbone: dict, head: dict,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='DeepfakeDataPreprocessor')
        # Build with qcdet's registry so qcdet types resolve even without a
        # default scope (BaseModel would use MMEngine's root registry).
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.train_feedback: Optional[TrainFeedback] = None

    def to(self, *args, **kwargs):
        if getattr(self.data_preprocessor, 'channels_last', False):
            kwargs.setdefault('memory_format', torch.channels_last)
        return super().to(*args, **kwargs)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'Invalid mode {mode!r}; expected "tensor", "loss" '
                         'or "predict"')

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled feature of the backbone's last map, shape [B, C]."""
        feats = self.backbone(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if feats.dim() == 4:
            return F.adaptive_avg_pool2d(feats, 1).flatten(1)
        if feats.dim() == 2:  # the backbone pooled already
            return feats
        raise ValueError(
            f'{type(self.backbone).__name__} returned a feature of shape '
            f'{tuple(feats.shape)}; DeepfakeDetector needs [B, C, H, W] maps '
            'or [B, C] vectors')

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[DataSample]) -> dict:
        """Mean cross-entropy and batch accuracy; per-sample feedback goes
        to ``self.train_feedback``."""
        logits = self.head(self.extract_feat(inputs))
        return self.classification_loss(logits, data_samples)

    def classification_loss(self, logits: torch.Tensor,
                            data_samples: Sequence[DataSample]) -> dict:
        """``dict(loss=..., acc=...)`` of real/fake ``logits`` and the
        per-sample ``train_feedback``. Detectors with extra objectives call
        it and add their own ``loss_*`` terms (MMEngine sums every key that
        contains ``loss``)."""
        labels = self._gt_labels(data_samples, logits.device)
        losses = self.head.per_sample_loss(logits, labels)
        with torch.no_grad():
            accuracy = (logits.argmax(dim=1) == labels).float().mean()
            # FreDA'd inputs are not the fake whose quality is measured
            sample_idx, freda = [], []
            for sample in data_samples:
                # ``key in sample``: no metainfo dict built per sample
                sample_idx.append(int(sample.get(SAMPLE_IDX, -1)))
                freda.append(bool(sample.get(FREDA_APPLIED, False)))
            fake_prob = logits.float().softmax(dim=1)[:, 1]
            self.train_feedback = TrainFeedback(
                sample_idx=torch.tensor(sample_idx, dtype=torch.long),
                fake_prob=fake_prob.cpu(),
                loss=losses.detach().cpu(),
                label=labels.cpu(),
                freda=torch.tensor(freda, dtype=torch.bool))
        return dict(loss=losses.mean(), acc=accuracy)

    def predict(
            self,
            inputs: torch.Tensor,
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """Data samples with ``pred_score`` (softmax over real, fake) and
        ``pred_label``; new ones when none are given."""
        logits = self.head(self.extract_feat(inputs))
        scores = logits.detach().float().softmax(dim=1)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(scores))]
        elif len(data_samples) != len(scores):
            raise ValueError(f'Got {len(data_samples)} data samples for a '
                             f'batch of {len(scores)} inputs')
        pred_labels = scores.argmax(dim=1)
        for sample, score, pred_label in zip(data_samples, scores,
                                             pred_labels):
            sample.set_pred_score(score).set_pred_label(pred_label)
        return list(data_samples)

    @staticmethod
    def _gt_labels(data_samples: Optional[Sequence[DataSample]],
                   device: torch.device) -> torch.Tensor:
        if not data_samples:
            raise ValueError('DeepfakeDetector needs data_samples with '
                             'gt_label in "loss" mode')
        labels = []
        for i, sample in enumerate(data_samples):
            label = sample.get('gt_label')
            if label is not None:
                label = torch.as_tensor(label)
            if label is None or label.numel() != 1:
                where = sample.metainfo.get('img_path', f'batch index {i}')
                raise ValueError(
                    f'Data sample {where} needs exactly one gt_label (0 real, '
                    f'1 fake), got {label}')
            labels.append(label.reshape(1))
        labels = torch.cat(labels).to(device=device, dtype=torch.long)
        if ((labels < 0) | (labels > 1)).any():
            raise ValueError(f'gt_label must be 0 (real) or 1 (fake), got '
                             f'{labels.tolist()}')
        return labels
