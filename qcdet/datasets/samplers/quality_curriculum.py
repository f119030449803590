"""QualityCurriculumSampler: picks each epoch which fakes the detector sees,
how often, and which of them go through FreDA ("easy") rather than being used
as they are ("hard"), moving from easy towards realistic fakes as training
goes on.

Two readings of the paper's learning pacing (``mode``):

- ``'selection'``: FQS decides *which fakes are trained on*. The epoch's fake
  slots (as many as there are fakes, so an epoch keeps the baseline's length)
  are shared in proportion to a weight that grows with FQS ("higher-rated
  samples having a higher probability of being chosen"): realistic fakes are
  seen several times, the least realistic not at all; the chosen fakes of
  the easy set go through FreDA.
- ``'routing'``: every fake is visited once per epoch and FQS only decides
  which of them go through FreDA. Without FreDA this is ``DefaultSampler`` up
  to order.

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
_MODES = ('selection', 'routing')


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
        visits: int per dataset index: how often the epoch visits it (before
            the round-up padding); 1 for every index in ``'routing'`` mode.
        seeds: one augmentation seed per position of ``order``.
        use_freda: False for the "no FreDA" ablation: ``easy`` is drawn and
            logged, but nothing goes through FreDA.
    """
    epoch: int
    order: np.ndarray
    easy: np.ndarray
    hard_fraction: float
    num_hard: int
    num_easy: int
    visits: np.ndarray
    seeds: np.ndarray
    use_freda: bool = True

    def freda_visits(self) -> np.ndarray:
        """Visits per dataset index that go through FreDA."""
        return np.where(self.easy & self.use_freda, self.visits, 0)


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

    Every epoch has ``len(dataset)`` items: every real once and ``N_fake``
    fake slots. ``k = round(min(pacing(epoch), end_fraction) * N_fake)``
    fakes are drawn as "hard" without replacement, with weights
    ``softmax(z / T)`` over the rank-normalised FQS ``z`` (Gumbel-top-k); the
    others are "easy" and FreDA raises their realism. In ``'routing'`` mode
    every fake fills one slot; in ``'selection'`` mode the slots are shared
    in proportion to the same weights (systematic sampling: each fake gets
    the floor or ceiling of its expected count), so realistic fakes are seen
    more often and unrealistic ones less. With no scores yet (``set_scores``
    not called, or all NaN) the draws are uniform.

    The plan depends only on ``(seed, epoch, scores)``, so every rank draws
    the same one as long as every rank holds the same scores; ranks then take
    disjoint shards ``order[rank::world_size]`` like MMEngine's
    ``DefaultSampler``.

    Args:
        dataset: needs ``__len__`` and ``get_labels()`` (0 real / 1 fake per
            index).
        seed: shared random seed; None draws one synchronised across ranks.
        shuffle: shuffle the visiting order each epoch.
        mode: ``'routing'`` (default) or ``'selection'`` (see above).
        pacing: name of a pacing function (see ``pacing.py``).
        start_fraction: hard fraction at epoch 0.
        end_epoch: epoch at which the pacing function reaches 1. None
            (default): 2/3 of ``max_epochs``, set by ``QualityScoreHook``
            through ``set_max_epochs`` (the sampler cannot see the schedule).
        end_fraction: the hard fraction never exceeds this. Below 1 the
            least realistic fakes keep going through FreDA to the end
            instead of returning raw right before the tested checkpoint.
        temperature: softmax temperature over rank-normalised FQS, for the
            hard draw and (``'selection'``) the slot shares; lower is
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
                 mode: str = 'routing',
                 pacing: str = 'linear',
                 start_fraction: float = 0.3,
                 end_epoch: Optional[int] = None,
                 end_fraction: float = 1.0,
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
        if mode not in _MODES:
            raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
        if not 0.0 < end_fraction <= 1.0:
            raise ValueError(
                f'end_fraction must be in (0, 1], got {end_fraction}')

        self.dataset = dataset
        self.labels = self._read_labels(dataset)
        self.seed = sync_random_seed() if seed is None else int(seed)
        if self.seed < 0:
            raise ValueError(f'seed must be >= 0, got {self.seed}')
        self.shuffle = shuffle
        self.mode = mode
        self.end_fraction = float(end_fraction)
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
        return min(
            float(
                self.pacing_fn(epoch, self.start_fraction, self.end_epoch,
                               **self.pacing_kwargs)), self.end_fraction)

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
        items = np.arange(num_items)
        if self.mode == 'selection' and len(fakes):
            slots = self._allot_slots(fakes, logits, rng)
            items = np.concatenate([np.flatnonzero(self.labels == 0), slots])
            items.sort(kind='stable')
        visits = np.bincount(items, minlength=num_items)
        order = rng.permutation(items) if self.shuffle else items
        if self.round_up and num_items > 0:
            repeats = self.total_size // num_items + 1
            order = np.tile(order, repeats)[:self.total_size]
        if self.mode == 'selection':
            # a fake chosen twice must not be augmented twice the same way
            seeds = np.random.default_rng([self.seed, epoch, 2]).integers(
                0, 2**32, size=len(order), dtype=np.uint64)
        else:
            seeds = self.seeds(epoch)[order]

        return EpochPlan(
            epoch=epoch,
            order=order,
            easy=easy,
            hard_fraction=self.hard_fraction(epoch),
            num_hard=num_hard,
            num_easy=len(fakes) - num_hard,
            visits=visits,
            seeds=seeds,
            use_freda=self.use_freda)

    @staticmethod
    def _allot_slots(fakes: np.ndarray, logits: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
        """``len(fakes)`` slots shared in proportion to ``exp(logits)``.

        Systematic sampling (one uniform offset, evenly spaced points over
        the cumulative expected counts, fakes in random order): each fake
        gets the floor or the ceiling of its expected count, so with equal
        weights every fake is seen exactly once. Independent draws with
        replacement would leave about 37 % of the fakes unseen each epoch
        even then, and the lost variety costs more than the preference
        gains.
        """
        order = rng.permutation(len(fakes))
        weights = np.exp(logits[order] - logits.max())
        bounds = np.cumsum(weights / weights.sum() * len(fakes))
        bounds[-1] = len(fakes)  # no rounding loss at the end
        points = rng.random() + np.arange(len(fakes))
        counts = np.diff(np.searchsorted(points, bounds), prepend=0)
        return np.repeat(fakes[order], counts)

    def seeds(self, epoch: Optional[int] = None) -> np.ndarray:
        """One augmentation seed per dataset index for ``epoch`` (default:
        current): the same on every rank, independent of the plan's draws."""
        epoch = self.epoch if epoch is None else int(epoch)
        rng = np.random.default_rng([self.seed, epoch, 1])
        return rng.integers(0, 2**32, size=len(self.labels), dtype=np.uint64)

    def __iter__(self) -> Iterator[Union[Tuple[int, bool],
                                         Tuple[int, bool, int]]]:
        plan = self.epoch_plan()
        positions = range(self.rank, self.total_size, self.world_size)
        easy = plan.easy & plan.use_freda
        if not self.sample_seeds:
            return iter([(int(plan.order[p]), bool(easy[plan.order[p]]))
                         for p in positions])
        return iter([(int(plan.order[p]), bool(easy[plan.order[p]]),
                      int(plan.seeds[p])) for p in positions])

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
