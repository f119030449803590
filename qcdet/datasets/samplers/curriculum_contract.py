"""The curriculum contract: the keys and interfaces through which the
sampler's per-sample decisions reach the pipeline, the detector and the
quality hook, named once (docs/contracts.md, "Curriculum contract").

One epoch of it::

    QualityCurriculumSampler  yields (index, easy, seed)
    DeepfakeDataset           results[QC_EASY] = easy; seeds the pipeline
    FreqAugment               reads QC_EASY, writes results[FREDA_APPLIED]
    PackDeepfakeInputs        SAMPLE_IDX, QC_EASY, FREDA_APPLIED -> metainfo
    detector, 'loss' mode     model.train_feedback = TrainFeedback(...)
    QualityScoreHook          takes the feedback, sampler.set_scores(FQS)

The keys travel in the results dict and in each ``DataSample``'s metainfo,
because DataLoader workers hold their own copy of the dataset: the decision
has to ride along with the sample.
"""
from typing import Optional, Protocol, TypedDict, runtime_checkable

import numpy as np
import torch

from .quality_curriculum import EpochPlan

__all__ = [
    'SAMPLE_IDX', 'QC_EASY', 'FREDA_APPLIED', 'TrainFeedback',
    'CurriculumDataset', 'CurriculumSampler'
]

#: int: the dataset index of a sample. Written by ``get_data_info``
#: (MMEngine's ``BaseDataset``); the detector hands it back in its feedback
#: so the hook can tell whose score it is.
SAMPLE_IDX = 'sample_idx'
#: bool: the sampler routed this fake to FreDA for this visit. Written by
#: ``DeepfakeDataset.__getitem__`` from the sampler's item (False for a
#: plain index); read by ``FreqAugment(apply_to='easy')``.
QC_EASY = 'qc_easy'
#: bool: ``FreqAugment`` mixed this image with its pair. Written by
#: ``FreqAugment`` on every sample it sees; read by the detector, because a
#: FreDA'd image is not the fake whose quality the dynamic score measures.
FREDA_APPLIED = 'freda_applied'


class _RequiredFeedback(TypedDict):
    #: LongTensor[B]: ``SAMPLE_IDX``, -1 where the data sample has none
    sample_idx: torch.Tensor
    #: Tensor[B]: softmax probability of "fake"
    fake_prob: torch.Tensor
    #: Tensor[B]: the per-sample training loss
    loss: torch.Tensor
    #: LongTensor[B]: 0 real, 1 fake
    label: torch.Tensor


class TrainFeedback(_RequiredFeedback, total=False):
    """What a detector's ``'loss'`` forward leaves in
    ``model.train_feedback`` for ``QualityScoreHook``, which takes it (and
    sets the attribute back to None) after every training iteration. One
    entry per sample of the batch, detached and on the CPU."""
    #: BoolTensor[B]: ``FREDA_APPLIED``; absent means no image was FreDA'd
    freda: torch.Tensor


@runtime_checkable
class CurriculumDataset(Protocol):
    """What ``QualityScoreHook`` reads from the training dataset
    (``DeepfakeDataset`` provides it). Arrays have one entry per dataset
    index."""

    def get_labels(self) -> np.ndarray:
        """0 real / 1 fake."""

    def get_methods(self) -> np.ndarray:
        """The forgery method (``'real'`` for reals), for the per-method
        log."""

    def get_static_quality(self) -> np.ndarray:
        """The offline static score, NaN where absent."""


@runtime_checkable
class CurriculumSampler(Protocol):
    """What ``QualityScoreHook`` drives (``QualityCurriculumSampler``
    provides it): FQS in before every epoch, the plan it yielded out, its
    state in and out of checkpoints."""

    #: the plan the last ``__iter__`` yielded, None before the first
    last_plan: Optional[EpochPlan]

    def set_scores(self, scores: np.ndarray) -> None:
        """FQS per dataset index (NaN for reals and unknown fakes)."""

    def set_max_epochs(self, max_epochs: int) -> None:
        """The schedule's length, for pacing that ends at a share of it."""

    def state_dict(self) -> dict:
        """Plain Python values for the checkpoint."""

    def load_state_dict(self, state: dict) -> None:
        """Restores what ``state_dict`` gave (on a resume)."""
