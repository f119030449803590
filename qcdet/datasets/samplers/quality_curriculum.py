"""QualityCurriculumSampler: picks each epoch which fakes are used as they are
("hard") and which go through FreDA ("easy"), moving from easy towards
realistic fakes as training goes on.

Why the sampler decides (and not the dataset): DataLoader workers hold their
own copy of the dataset, so the per-sample decision has to travel with the
index. The sampler therefore yields ``(index, easy, seed)`` tuples, which
``DeepfakeDataset.__getitem__`` unpacks into ``results['qc_easy']`` and a
per-sample seed for the pipeline's random augmentations (so they do not
depend on which worker loads the sample, nor on a resume).
"""
import math
from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Sized, Tuple, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from qcdet.registry import DATA_SAMPLERS
from .pacing import get_pacing_fn

__all__ = ['QualityCurriculumSampler', 'EpochPlan', 'selection_logits']

_DIRECTIONS = ('high_is_hard', 'low_is_hard')


@dataclass
class EpochPlan:
    """Everything one epoch's curriculum decided, on all ranks together.

    Attributes:
        epoch: the epoch the plan is for.
        order: dataset indices in visiting order, padded to a multiple of the
            world size when ``round_up``; rank r visits ``order[r::world]``.
        easy: bool per dataset index (len == len(dataset)): fakes routed to
            FreDA this epoch. Always False for reals.
        hard_fraction: the pacing value for this epoch.
        num_hard: fakes used as they are (``round(hard_fraction * N_fake)``).
        num_easy: fakes routed to FreDA.
    """
    epoch: int
    order: np.ndarray
    easy: np.ndarray
    hard_fraction: float
    num_hard: int
    num_easy: int


def _rank_normalise(values: np.ndarray) -> np.ndarray:
    """Average ranks scaled to [0, 1] (ties share a rank; one value -> 0.5)."""
    n = len(values)
    if n == 1:
        return np.full(1, 0.5)
    ordered = np.sort(values)
    first = np.searchsorted(ordered, values, side='left')
    last = np.searchsorted(ordered, values, side='right') - 1
    return (first + last) / 2.0 / (n - 1)


def selection_logits(scores: np.ndarray,
                     temperature: Optional[float] = 1.0,
                     direction: str = 'high_is_hard') -> np.ndarray:
    """Log-weights (up to a constant) for drawing fakes as "hard".

    ``z`` is the rank-normalised score in [0, 1] (ranks, not raw values, so
    the draw does not depend on the FQS scale); the weights are
    ``softmax(z / temperature)``. NaN scores get the median ``z`` (hence the
    median weight). ``temperature`` None/inf, or no finite score, gives
    uniform weights. ``low_is_hard`` uses ``1 - z``.
    """
    if direction not in _DIRECTIONS:
        raise ValueError(
            f'direction must be one of {_DIRECTIONS}, got {direction!r}')
    scores = np.asarray(scores, dtype=np.float64)
    known = np.isfinite(scores)
    if temperature is None or math.isinf(temperature) or not known.any():
        return np.zeros(len(scores))
    z = np.empty(len(scores))
    z[known] = _rank_normalise(scores[known])
    z[~known] = np.median(z[known])
    if direction == 'low_is_hard':
        z = 1.0 - z
    return z / temperature


@DATA_SAMPLERS.register_module()
class QualityCurriculumSampler(Sampler):
    """Quality-centric curriculum over the fakes of a deepfake dataset.

    Every epoch every real and every fake is visited once (the epoch length
    stays ``len(dataset)``). ``k = round(pacing(epoch) * N_fake)`` fakes are
    drawn as "hard" without replacement, with weights ``softmax(z / T)`` over
    the rank-normalised FQS ``z`` (Gumbel-top-k); the others are "easy" and
    FreDA raises their realism. With no scores yet (``set_scores`` not
    called, or all NaN) the draw is uniform.

    The plan depends only on ``(seed, epoch, scores)``, so every rank draws
    the same one as long as every rank holds the same scores; ranks then take
    disjoint shards ``order[rank::world_size]`` like MMEngine's
    ``DefaultSampler``.

    Args:
        dataset: needs ``__len__`` and ``get_labels()`` (0 real / 1 fake per
            index).
        seed: shared random seed; None draws one synchronised across ranks.
        shuffle: shuffle the visiting order each epoch.
        pacing: name of a pacing function (see ``pacing.py``).
        start_fraction: hard fraction at epoch 0.
        end_epoch: epoch from which all fakes are hard. None (default):
            2/3 of ``max_epochs``, set by ``QualityScoreHook`` through
            ``set_max_epochs`` (the sampler itself cannot see the schedule).
        temperature: softmax temperature over rank-normalised FQS; lower is
            greedier; None means uniform.
        direction: ``'high_is_hard'`` (a high FQS means realistic) or
            ``'low_is_hard'``.
        round_up: pad the order so every rank gets the same count.
        use_freda: False yields every fake with ``easy=False`` although the
            plan is still drawn and logged: the "no FreDA" ablation.
        sample_seeds: yield ``(index, easy, seed)`` with a seed per dataset
            index drawn from ``(seed, epoch)`` (default), so augmentations
            are reproducible across resumes, worker counts and world sizes;
            False yields ``(index, easy)``.
        rank, world_size: override ``get_dist_info()`` (tests, tools).
        **pacing_kwargs: extra arguments for the pacing function (``power``,
            ``num_steps``).
    """

    def __init__(self,
                 dataset: Sized,
                 seed: Optional[int] = None,
                 shuffle: bool = True,
                 pacing: str = 'linear',
                 start_fraction: float = 0.3,
                 end_epoch: Optional[int] = None,
                 temperature: Optional[float] = 1.0,
                 direction: str = 'high_is_hard',
                 round_up: bool = True,
                 use_freda: bool = True,
                 sample_seeds: bool = True,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None,
                 **pacing_kwargs) -> None:
        dist_rank, dist_world_size = get_dist_info()
        self.rank = dist_rank if rank is None else int(rank)
        self.world_size = (dist_world_size
                           if world_size is None else int(world_size))
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise ValueError(f'need 0 <= rank < world_size, got rank='
                             f'{self.rank}, world_size={self.world_size}')

        if temperature is not None and not temperature > 0:
            raise ValueError(
                f'temperature must be > 0 or None, got {temperature}')
        if direction not in _DIRECTIONS:
            raise ValueError(
                f'direction must be one of {_DIRECTIONS}, got {direction!r}')

        self.dataset = dataset
        self.labels = self._read_labels(dataset)
        self.seed = sync_random_seed() if seed is None else int(seed)
        if self.seed < 0:
            raise ValueError(f'seed must be >= 0, got {self.seed}')
        self.shuffle = shuffle
        self.pacing = pacing
        self.pacing_fn = get_pacing_fn(pacing)
        self.start_fraction = start_fraction
        self.end_epoch = end_epoch
        self.pacing_kwargs = pacing_kwargs
        self.temperature = temperature
        self.direction = direction
        self.round_up = round_up
        self.use_freda = use_freda
        self.sample_seeds = sample_seeds
        # fail now on bad pacing arguments
        self.pacing_fn(0, start_fraction, end_epoch or 1, **pacing_kwargs)

        self.epoch = 0
        self.scores = np.full(len(self.labels), np.nan)

        num_items = len(self.labels)
        if self.round_up:
            self.num_samples = math.ceil(num_items / self.world_size)
            self.total_size = self.num_samples * self.world_size
        else:
            self.num_samples = math.ceil(
                (num_items - self.rank) / self.world_size)
            self.total_size = num_items

    @staticmethod
    def _read_labels(dataset) -> np.ndarray:
        if not hasattr(dataset, 'get_labels'):
            raise TypeError(f'{type(dataset).__name__} has no get_labels(); '
                            'QualityCurriculumSampler needs 0/1 labels')
        labels = np.asarray(dataset.get_labels())
        if labels.shape != (len(dataset), ):
            raise ValueError(f'get_labels() gave shape {labels.shape}, '
                             f'expected ({len(dataset)},)')
        bad = ~np.isin(labels, (0, 1))
        if bad.any():
            raise ValueError('labels must be 0 (real) or 1 (fake); index '
                             f'{int(np.flatnonzero(bad)[0])} has '
                             f'{labels[bad][0]!r}')
        return labels.astype(np.int64)

    def set_epoch(self, epoch: int) -> None:
        """Called by DistSamplerSeedHook before every epoch."""
        self.epoch = int(epoch)

    def set_scores(self, scores) -> None:
        """Sets the FQS per dataset index (NaN for reals / unknown fakes)."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != self.labels.shape:
            raise ValueError(f'scores have shape {scores.shape}, expected '
                             f'{self.labels.shape} (one per dataset index)')
        self.scores = scores.copy()

    def set_max_epochs(self, max_epochs: int) -> None:
        """Fills in ``end_epoch = round(2/3 * max_epochs)`` when it was left
        None; an explicit ``end_epoch`` is kept."""
        if self.end_epoch is None:
            self.end_epoch = max(1, round(2 * max_epochs / 3))

    def hard_fraction(self, epoch: int) -> float:
        if self.end_epoch is None:
            raise RuntimeError(
                'QualityCurriculumSampler.end_epoch is None: set it in the '
                'config or call set_max_epochs() (QualityScoreHook does)')
        return float(
            self.pacing_fn(epoch, self.start_fraction, self.end_epoch,
                           **self.pacing_kwargs))

    def num_hard(self, epoch: int) -> int:
        """round(pacing(epoch) * N_fake), halves rounded up."""
        num_fakes = int(self.labels.sum())
        return int(math.floor(self.hard_fraction(epoch) * num_fakes + 0.5))

    def epoch_plan(self, epoch: Optional[int] = None) -> EpochPlan:
        """The full (all ranks) plan of ``epoch`` (default: current)."""
        epoch = self.epoch if epoch is None else int(epoch)
        rng = np.random.default_rng([self.seed, epoch])

        fakes = np.flatnonzero(self.labels == 1)
        num_hard = self.num_hard(epoch)
        logits = selection_logits(self.scores[fakes], self.temperature,
                                  self.direction)
        # Gumbel-top-k: the k largest of logit + Gumbel noise are a draw of k
        # items without replacement, proportional to exp(logit).
        keys = logits + rng.gumbel(size=len(fakes))
        hard = fakes[np.argsort(-keys, kind='stable')[:num_hard]]
        easy = self.labels == 1
        easy[hard] = False

        num_items = len(self.labels)
        if self.shuffle:
            order = rng.permutation(num_items)
        else:
            order = np.arange(num_items)
        if self.round_up and num_items > 0:
            repeats = self.total_size // num_items + 1
            order = np.tile(order, repeats)[:self.total_size]

        return EpochPlan(
            epoch=epoch,
            order=order,
            easy=easy,
            hard_fraction=self.hard_fraction(epoch),
            num_hard=num_hard,
            num_easy=len(fakes) - num_hard)

    def seeds(self, epoch: Optional[int] = None) -> np.ndarray:
        """One augmentation seed per dataset index for ``epoch`` (default:
        current): the same on every rank, independent of the plan's draws."""
        epoch = self.epoch if epoch is None else int(epoch)
        rng = np.random.default_rng([self.seed, epoch, 1])
        return rng.integers(0, 2**32, size=len(self.labels), dtype=np.uint64)

    def __iter__(self) -> Iterator[Union[Tuple[int, bool],
                                         Tuple[int, bool, int]]]:
        plan = self.epoch_plan()
        shard = plan.order[self.rank:self.total_size:self.world_size]
        easy = plan.easy if self.use_freda else np.zeros_like(plan.easy)
        if not self.sample_seeds:
            return iter([(int(i), bool(easy[i])) for i in shard])
        seeds = self.seeds(plan.epoch)
        return iter([(int(i), bool(easy[i]), int(seeds[i])) for i in shard])

    def __len__(self) -> int:
        """Items this rank yields per epoch."""
        return self.num_samples

    def state_dict(self) -> Dict:
        """Plain Python values, so checkpoints load with weights_only."""
        return dict(
            epoch=self.epoch,
            seed=self.seed,
            scores=[float(s) for s in self.scores])

    def load_state_dict(self, state: Dict) -> None:
        for key in ('epoch', 'seed', 'scores'):
            if key not in state:
                raise KeyError(f'sampler state has no {key!r} '
                               f'(keys: {sorted(state)})')
        self.set_scores(state['scores'])
        self.seed = int(state['seed'])
        self.epoch = int(state['epoch'])
