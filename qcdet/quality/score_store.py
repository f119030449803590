"""Per-sample quality scores, by dataset index, identical on every rank."""
from typing import Dict

import numpy as np
import torch
from mmengine.dist import all_reduce

__all__ = ['QualityScoreStore']


class QualityScoreStore:
    """Holds static q, dynamic d and FQS of every sample (NaN for reals and
    unknowns), and accumulates this epoch's feedback.

    Feedback is accumulated as a sum and a count per sample; ``end_epoch``
    all-reduces both across processes, so every rank computes the same FQS
    and draws the same curriculum. A sample not seen this epoch keeps its
    previous dynamic score.

    ``momentum`` smooths d over epochs: ``d = momentum * d_before + (1 -
    momentum) * this epoch's mean`` for a sample that had a d (its first one
    is taken as it is); 0 keeps only the last epoch's. A fake is seen by a
    few augmented views per epoch at most, so one epoch's mean is noisy.
    """

    def __init__(self, labels: np.ndarray, static: np.ndarray,
                 momentum: float = 0.0):
        n = len(labels)
        if len(static) != n:
            raise ValueError(f'{len(static)} static scores for {n} samples')
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        self.momentum = float(momentum)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.static = np.asarray(static, dtype=np.float64)
        self.dynamic = np.full(n, np.nan)
        self.fqs = np.full(n, np.nan)
        self._sum = torch.zeros(n, dtype=torch.float64)
        self._count = torch.zeros(n, dtype=torch.float64)

    def __len__(self) -> int:
        return len(self.labels)

    def check_indices(self, sample_idx) -> torch.Tensor:
        """``sample_idx`` as a long tensor, refused when out of range."""
        idx = torch.as_tensor(sample_idx, dtype=torch.long).cpu()
        if idx.numel() and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(
                f'sample_idx out of range [0, {len(self)}): '
                f'{idx.min().item()}..{idx.max().item()}; does the pipeline '
                'pack `sample_idx`?')
        return idx

    def record(self, sample_idx: torch.Tensor, values: torch.Tensor) -> None:
        idx = self.check_indices(sample_idx)
        vals = torch.as_tensor(values, dtype=torch.float64).cpu()
        self._sum.index_add_(0, idx, vals)
        self._count.index_add_(0, idx, torch.ones_like(vals))

    def end_epoch(self) -> int:
        """Reduce across processes, update ``dynamic``; returns how many
        samples got feedback this epoch."""
        all_reduce(self._sum, op='sum')
        all_reduce(self._count, op='sum')
        seen = (self._count > 0).numpy()
        mean = (self._sum / self._count.clamp(min=1)).numpy()
        before = self.dynamic[seen]
        mean = mean[seen]
        had = np.isfinite(before)
        mean[had] = (self.momentum * before[had] +
                     (1.0 - self.momentum) * mean[had])
        self.dynamic[seen] = mean
        self._sum.zero_()
        self._count.zero_()
        return int(seen.sum())

    def state_dict(self) -> Dict[str, torch.Tensor]:
        # tensors only: loads under torch's weights_only=True
        return dict(static=torch.from_numpy(self.static.copy()),
                    dynamic=torch.from_numpy(self.dynamic.copy()),
                    fqs=torch.from_numpy(self.fqs.copy()))

    def load_state_dict(self, state: Dict[str, torch.Tensor]) -> None:
        if len(state['dynamic']) != len(self):
            raise ValueError(
                f'Score store in checkpoint has {len(state["dynamic"])} '
                f'samples, the training set has {len(self)}')
        self.static = state['static'].numpy().astype(np.float64)
        self.dynamic = state['dynamic'].numpy().astype(np.float64)
        self.fqs = state['fqs'].numpy().astype(np.float64)
