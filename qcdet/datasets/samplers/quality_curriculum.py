"""QualityCurriculumSampler: picks each epoch which fakes the detector sees,
how often, and which of them go through FreDA ("easy") rather than being used
as they are ("hard").

The paper's abstract says three things about learning pacing, and the default
``mode='paced'`` reads them together (docs/method.md, "Learning pacing"):

- "the rating score guides the selection of deepfake samples for training,
  with higher-rated samples having a higher probability of being chosen":
  the epoch's fake slots are shared in proportion to ``exp(beta_t * z)``,
  ``z`` the rank-normalised FQS in [0, 1];
- "starting with easier samples and progressing to more realistic ones":
  ``beta_t`` rises from ``beta_start`` (<= 0: easy fakes first) to
  ``beta_end`` (> 0: realistic fakes preferred) under the pacing function;
- FreDA is "specifically designed for low-quality forgery samples": the
  ``freda_fraction`` least realistic fakes (by FQS rank) are easy every time
  they are chosen; the others are used raw. So the split holds exactly: the
  bottom ``freda_fraction`` never reaches the detector raw.

Two earlier readings stay as named options for the ablations:

- ``'routing'``: every fake is visited once per epoch; the hard share grows
  from ``start_fraction`` to ``end_fraction`` and hard fakes are drawn with
  weights ``softmax(z / temperature)``; the rest go through FreDA.
- ``'selection'``: the same draw, and the slots are also shared by those
  fixed weights (a fixed preference for realistic fakes from epoch 0).

Why the sampler decides (and not the dataset): DataLoader workers hold their
own copy of the dataset, so the per-sample decision has to travel with the
index. The sampler yields ``(index, easy, seed)`` tuples, which
``DeepfakeDataset.__getitem__`` unpacks into ``results[QC_EASY]`` and a
per-sample seed for the pipeline's random augmentations (so they do not
depend on which worker loads the sample, nor on a resume). The keys and
interfaces of that hand-over are in ``curriculum_contract``.
"""
import math
from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from qcdet.registry import DATA_SAMPLERS

from .pacing import get_pacing_fn

__all__ = ['QualityCurriculumSampler', 'EpochPlan', 'selection_logits',
           'quality_ranks']

_DIRECTIONS = ('high_is_hard', 'low_is_hard')
_MODES = ('paced', 'routing', 'selection')


@dataclass
class EpochPlan:
    """Everything one epoch's curriculum decided, on all ranks together.

    Attributes:
        epoch: the epoch the plan is for.
        order: dataset indices in visiting order, padded to a multiple of the
            world size when ``round_up``; rank r visits ``order[r::world]``.
        easy: bool per dataset index (len == len(dataset)): fakes that go
            through FreDA when visited. Always False for reals and unpaired
            fakes, and everywhere when ``use_freda`` is False.
        planned_easy: ``easy`` before ``use_freda`` and the pair check: what
            the curriculum would route to FreDA (logged by the ablations).
        hard_fraction: share of the fakes not planned easy.
        beta: the selection strength ``beta_t`` of this epoch (0 when the
            slots are not weighted).
        num_hard: fakes not planned easy.
        num_easy: fakes planned easy.
        visits: int per dataset index: how often the epoch visits it (before
            the round-up padding).
        seeds: one augmentation seed per position of ``order``.
        use_freda: False for the "no FreDA" ablation.
    """
    epoch: int
    order: np.ndarray
    easy: np.ndarray
    planned_easy: np.ndarray
    hard_fraction: float
    beta: float
    num_hard: int
    num_easy: int
    visits: np.ndarray
    seeds: np.ndarray
    use_freda: bool = True


def _rank_normalise(values: np.ndarray) -> np.ndarray:
    """Average ranks scaled to [0, 1] (ties share a rank; one value -> 0.5)."""
    n = len(values)
    if n == 1:
        return np.full(1, 0.5)
    ordered = np.sort(values)
    first = np.searchsorted(ordered, values, side='left')
    last = np.searchsorted(ordered, values, side='right') - 1
    return (first + last) / 2.0 / (n - 1)


def quality_ranks(scores: np.ndarray,
                  direction: str = 'high_is_hard') -> Optional[np.ndarray]:
    """Rank-normalised realism ``z`` in [0, 1] (1 = most realistic), or None
    when no score is finite.

    Ranks, not raw values, so nothing depends on the FQS scale. NaN scores
    get the median ``z``. ``low_is_hard`` uses ``1 - z``.
    """
    if direction not in _DIRECTIONS:
        raise ValueError(
            f'direction must be one of {_DIRECTIONS}, got {direction!r}')
    scores = np.asarray(scores, dtype=np.float64)
    known = np.isfinite(scores)
    if not known.any():
        return None
    z = np.empty(len(scores))
    z[known] = _rank_normalise(scores[known])
    z[~known] = np.median(z[known])
    return 1.0 - z if direction == 'low_is_hard' else z


def selection_logits(scores: np.ndarray,
                     temperature: Optional[float] = 1.0,
                     direction: str = 'high_is_hard') -> np.ndarray:
    """Log-weights ``z / temperature`` (up to a constant) over the
    rank-normalised realism ``z`` (:func:`quality_ranks`); ``temperature``
    None/inf, or no finite score, gives uniform weights."""
    z = quality_ranks(scores, direction)
    if z is None or temperature is None or math.isinf(temperature):
        return np.zeros(len(scores))
    return z / temperature


@DATA_SAMPLERS.register_module()
class QualityCurriculumSampler(Sampler):
    """Quality-centric curriculum over the fakes of a deepfake dataset.

    Every epoch has ``len(dataset)`` items: every real once and ``N_fake``
    fake slots, shared among the fakes in proportion to ``exp(logit)`` by
    systematic sampling (each fake gets the floor or the ceiling of its
    expected count; with equal logits every fake exactly once). The logits
    and the easy set depend on ``mode`` (module docstring). With no scores
    yet (``set_scores`` not called, or all NaN) every fake ranks at random.

    The plan depends only on ``(seed, epoch, scores)``, so every rank draws
    the same one as long as every rank holds the same scores; ranks then take
    disjoint shards ``order[rank::world_size]`` like MMEngine's
    ``DefaultSampler``.

    Args:
        dataset: needs ``__len__`` and ``get_labels()`` (0 real / 1 fake per
            index); ``get_paired()`` (bool per index: the fake has a pair for
            FreDA) when present, so an unpaired fake is never easy.
        seed: shared random seed; None draws one synchronised across ranks.
        shuffle: shuffle the visiting order each epoch.
        mode: ``'paced'`` (default), ``'routing'`` or ``'selection'``.
        pacing: name of a pacing function (see ``pacing.py``): the shape of
            ``beta_t`` (``'paced'``) or of the hard share (the others).
        start_fraction: pacing value at epoch 0: the hard share of
            ``'routing'``/``'selection'``; ``'paced'`` uses only the shape
            it gives (``beta`` moves by the share of the way from
            ``start_fraction`` to 1 the pacing value has gone).
        end_epoch: epoch at which the pacing function reaches 1. None
            (default): 2/3 of ``max_epochs``, set by ``QualityScoreHook``
            through ``set_max_epochs`` (the sampler cannot see the schedule).
        end_fraction: cap on the hard share (``'routing'``/``'selection'``).
        beta_start, beta_end: ``'paced'``: selection strength at epoch 0 and
            from ``end_epoch`` on; a fake of realism ``z`` gets weight
            ``exp(beta_t * z)``, so the most realistic fake is chosen
            ``exp(beta_t)`` times as often as the least.
        freda_fraction: ``'paced'``: share of the fakes, the least realistic
            by FQS rank, that go through FreDA whenever chosen.
        temperature: ``'routing'``/``'selection'``: softmax temperature over
            ``z`` for the hard draw (and the slots in ``'selection'``); lower
            is greedier; None means uniform.
        direction: ``'high_is_hard'`` (a high FQS means realistic) or
            ``'low_is_hard'``.
        use_scores: False ranks the fakes at random every epoch (the "no
            quality score" ablation: same pacing and FreDA amount).
        round_up: pad the order so every rank gets the same count.
        use_freda: False yields every fake with ``easy=False`` although the
            plan is still drawn and logged: the "no FreDA" ablation.
        rank, world_size: override ``get_dist_info()`` (tests, tools).
        **pacing_kwargs: extra arguments for the pacing function (``power``,
            ``num_steps``).
    """

    def __init__(self,
                 dataset: Sized,
                 seed: Optional[int] = None,
                 shuffle: bool = True,
                 mode: str = 'paced',
                 pacing: str = 'linear',
                 start_fraction: float = 0.3,
                 end_epoch: Optional[int] = None,
                 end_fraction: float = 1.0,
                 beta_start: float = -1.0,
                 beta_end: float = 1.0,
                 freda_fraction: float = 0.3,
                 temperature: Optional[float] = 1.0,
                 direction: str = 'high_is_hard',
                 use_scores: bool = True,
                 round_up: bool = True,
                 use_freda: bool = True,
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
        if not 0.0 <= freda_fraction <= 1.0:
            raise ValueError(
                f'freda_fraction must be in [0, 1], got {freda_fraction}')
        for name, value in (('beta_start', beta_start),
                            ('beta_end', beta_end)):
            if not math.isfinite(value):
                raise ValueError(f'{name} must be finite, got {value}')

        self.dataset = dataset
        self.labels = self._read_labels(dataset)
        self.paired = self._read_paired(dataset, self.labels)
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
        self.beta_start = float(beta_start)
        self.beta_end = float(beta_end)
        self.freda_fraction = float(freda_fraction)
        self.temperature = temperature
        self.direction = direction
        self.use_scores = use_scores
        self.round_up = round_up
        self.use_freda = use_freda
        # fail now on bad pacing arguments
        self.pacing_fn(0, start_fraction, end_epoch or 1, **pacing_kwargs)

        self.epoch = 0
        self.scores = np.full(len(self.labels), np.nan)
        #: the plan the last ``__iter__`` yielded (what the hook logs)
        self.last_plan: Optional[EpochPlan] = None

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

    @staticmethod
    def _read_paired(dataset, labels: np.ndarray) -> np.ndarray:
        """Fakes that have a pair for FreDA (every fake when the dataset
        cannot tell)."""
        if not hasattr(dataset, 'get_paired'):
            return labels == 1
        paired = np.asarray(dataset.get_paired(), dtype=bool)
        if paired.shape != labels.shape:
            raise ValueError(f'get_paired() gave shape {paired.shape}, '
                             f'expected {labels.shape}')
        return paired & (labels == 1)

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

    def _pacing_value(self, epoch: int) -> float:
        if self.end_epoch is None:
            raise RuntimeError(
                'QualityCurriculumSampler.end_epoch is None: set it in the '
                'config or call set_max_epochs() (QualityScoreHook does)')
        return float(
            self.pacing_fn(epoch, self.start_fraction, self.end_epoch,
                           **self.pacing_kwargs))

    def progress(self, epoch: int) -> float:
        """How far the pacing function has gone from ``start_fraction``
        towards 1, in [0, 1]."""
        if self.start_fraction >= 1.0:
            return 1.0
        return (self._pacing_value(epoch) - self.start_fraction) / (
            1.0 - self.start_fraction)

    def beta(self, epoch: int) -> float:
        """``'paced'``: the selection strength of ``epoch``."""
        return self.beta_start + (self.beta_end -
                                  self.beta_start) * self.progress(epoch)

    def hard_fraction(self, epoch: int) -> float:
        """Share of the fakes planned hard (used raw) at ``epoch``."""
        if self.mode == 'paced':
            return 1.0 - self.freda_fraction
        return min(self._pacing_value(epoch), self.end_fraction)

    def num_hard(self, epoch: int) -> int:
        """round(hard_fraction * N_fake), halves rounded up."""
        num_fakes = int(self.labels.sum())
        return int(math.floor(self.hard_fraction(epoch) * num_fakes + 0.5))

    def epoch_plan(self, epoch: Optional[int] = None) -> EpochPlan:
        """The full (all ranks) plan of ``epoch`` (default: current)."""
        epoch = self.epoch if epoch is None else int(epoch)
        rng = np.random.default_rng([self.seed, epoch])
        fakes = np.flatnonzero(self.labels == 1)
        num_hard = self.num_hard(epoch)
        z = quality_ranks(self.scores[fakes], self.direction) \
            if self.use_scores else None
        beta = 0.0
        if self.mode == 'paced':
            beta = self.beta(epoch)
            jitter = rng.random(len(fakes))  # breaks ties; orders unscored
            logits = np.zeros(len(fakes)) if z is None else beta * z
            # the least realistic fakes go through FreDA, every time
            by_realism = np.lexsort(
                (jitter, np.zeros(len(fakes)) if z is None else z))
            planned_hard = fakes[by_realism[len(fakes) - num_hard:]]
        else:
            logits = selection_logits(
                self.scores[fakes] if self.use_scores else
                np.full(len(fakes), np.nan), self.temperature,
                self.direction)
            # Gumbel-top-k: the k largest of logit + Gumbel noise are a draw
            # of k items without replacement, proportional to exp(logit).
            keys = logits + rng.gumbel(size=len(fakes))
            planned_hard = fakes[np.argsort(-keys, kind='stable')[:num_hard]]
            if self.mode == 'routing':
                logits = np.zeros(len(fakes))
        planned_easy = self.labels == 1
        planned_easy[planned_hard] = False
        easy = planned_easy & self.paired & self.use_freda

        num_items = len(self.labels)
        slots = self._allot_slots(fakes, logits, rng)
        items = np.sort(np.concatenate(
            [np.flatnonzero(self.labels == 0), slots]), kind='stable')
        visits = np.bincount(items, minlength=num_items)
        order = rng.permutation(items) if self.shuffle else items
        # one seed per slot: a fake chosen twice is augmented two ways
        seeds = np.random.default_rng([self.seed, epoch, 2]).integers(
            0, 2**32, size=len(order), dtype=np.uint64)
        if self.round_up and num_items > 0:
            # the padding repeats slots, seeds included (any world size
            # gives a slot the same seed)
            repeats = self.total_size // num_items + 1
            order = np.tile(order, repeats)[:self.total_size]
            seeds = np.tile(seeds, repeats)[:self.total_size]
        return EpochPlan(
            epoch=epoch,
            order=order,
            easy=easy,
            planned_easy=planned_easy,
            hard_fraction=1.0 - int(planned_easy.sum()) / max(len(fakes), 1),
            beta=float(beta),
            num_hard=len(fakes) - int(planned_easy.sum()),
            num_easy=int(planned_easy.sum()),
            visits=visits,
            seeds=seeds,
            use_freda=self.use_freda)

    @staticmethod
    def _allot_slots(fakes: np.ndarray, logits: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
        """``len(fakes)`` slots shared in proportion to ``exp(logits)``: the
        one allotment of every mode.

        Systematic sampling (one uniform offset, evenly spaced points over
        the cumulative expected counts, fakes in random order): each fake
        gets the floor or the ceiling of its expected count, so with equal
        weights every fake is seen exactly once. Independent draws with
        replacement would leave about 37 % of the fakes unseen each epoch
        even then, and the lost variety costs more than the preference
        gains.
        """
        if not len(fakes):
            return fakes
        order = rng.permutation(len(fakes))
        weights = np.exp(logits[order] - logits.max())
        bounds = np.cumsum(weights / weights.sum() * len(fakes))
        bounds[-1] = len(fakes)  # no rounding loss at the end
        points = rng.random() + np.arange(len(fakes))
        counts = np.diff(np.searchsorted(points, bounds), prepend=0)
        return np.repeat(fakes[order], counts)

    def __iter__(self) -> Iterator[Tuple[int, bool, int]]:
        plan = self.epoch_plan()
        self.last_plan = plan
        positions = slice(self.rank, self.total_size, self.world_size)
        order = plan.order[positions]
        # whole arrays to Python values at once: ~10x faster than per item
        return iter(list(zip(order.tolist(), plan.easy[order].tolist(),
                             plan.seeds[positions].tolist())))

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
