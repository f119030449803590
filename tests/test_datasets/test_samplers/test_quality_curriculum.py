import json
import math

import numpy as np
import pytest
from torch.utils.data import DataLoader

from qcdet.datasets.samplers.pacing import get_pacing_fn
from qcdet.datasets.samplers.quality_curriculum import (
    QualityCurriculumSampler,
    selection_logits,
)
from qcdet.registry import DATA_SAMPLERS


class FrameSet:
    """Stand-in for DeepfakeDataset: labels, and (index, easy[, seed])
    items."""

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def __len__(self):
        return len(self.labels)

    def get_labels(self):
        return self.labels.copy()

    def __getitem__(self, item):
        return tuple(item)


def keep_batch(batch):
    return batch


def make_sampler(num_real=20, num_fake=30, **kwargs):
    kwargs.setdefault('seed', 0)
    kwargs.setdefault('rank', 0)
    kwargs.setdefault('world_size', 1)
    kwargs.setdefault('end_epoch', 10)
    # the earlier reading, whose hard share follows the pacing function;
    # 'paced' (the default) has tests of its own below
    kwargs.setdefault('mode', 'routing')
    dataset = FrameSet([0] * num_real + [1] * num_fake)
    return QualityCurriculumSampler(dataset, **kwargs)


def run_epoch_seeded(sampler, epoch):
    sampler.set_epoch(epoch)
    return list(sampler)


def run_epoch(sampler, epoch):
    """(index, easy) pairs; the seeds are tested on their own."""
    return [item[:2] for item in run_epoch_seeded(sampler, epoch)]


def test_same_seed_and_epoch_give_same_plan():
    assert run_epoch(make_sampler(), 3) == run_epoch(make_sampler(), 3)


def test_epochs_and_seeds_differ():
    sampler = make_sampler()
    assert run_epoch(sampler, 1) != run_epoch(sampler, 2)
    assert run_epoch(make_sampler(seed=1), 1) != run_epoch(sampler, 1)
    easy_1 = make_sampler(pacing='constant').epoch_plan(1).easy
    easy_2 = make_sampler(pacing='constant').epoch_plan(2).easy
    assert not np.array_equal(easy_1, easy_2)


def test_one_rank_visits_every_index_once():
    sampler = make_sampler()
    items = run_epoch(sampler, 0)
    assert len(items) == len(sampler) == 50
    assert sorted(i for i, _ in items) == list(range(50))
    assert all(type(i) is int and type(e) is bool for i, e in items)


def test_unshuffled_order_is_the_dataset_order():
    items = run_epoch(make_sampler(shuffle=False), 2)
    assert [i for i, _ in items] == list(range(50))


@pytest.mark.parametrize('round_up', [True, False])
def test_two_ranks_split_the_epoch(round_up):
    shards = []
    for rank in range(2):
        sampler = make_sampler(
            num_real=20, num_fake=31, rank=rank, world_size=2,
            round_up=round_up)
        shards.append(run_epoch(sampler, 4))
        assert len(shards[-1]) == len(sampler)
    plan = sampler.epoch_plan(4)
    positions = [plan.order[r::2].tolist() for r in range(2)]
    assert [[i for i, _ in s] for s in shards] == positions
    covered = [i for s in shards for i, _ in s]
    assert set(covered) == set(range(51))
    if round_up:
        assert len(shards[0]) == len(shards[1]) == 26
    else:
        assert [len(s) for s in shards] == [26, 25]
        assert sorted(covered) == list(range(51))
    # the same index carries the same decision on every rank
    flags = {}
    for index, easy in shards[0] + shards[1]:
        assert flags.setdefault(index, easy) == easy


def test_hard_count_follows_pacing_and_reals_are_never_easy():
    sampler = make_sampler(num_real=20, num_fake=37, pacing='root',
                           start_fraction=0.25, end_epoch=6)
    pacing = get_pacing_fn('root')
    for epoch in range(9):
        expected = math.floor(pacing(epoch, 0.25, 6) * 37 + 0.5)
        items = run_epoch(sampler, epoch)
        hard = [i for i, easy in items if i >= 20 and not easy]
        assert len(hard) == expected
        assert not any(easy for i, easy in items if i < 20)
        plan = sampler.epoch_plan(epoch)
        assert (plan.num_hard, plan.num_easy) == (expected, 37 - expected)
        assert plan.easy.sum() == 37 - expected
    assert expected == 37


def hard_rates(sampler, scores, epochs=range(20)):
    """Fraction of epochs each fake was hard."""
    sampler.set_scores(scores)
    fakes = sampler.labels == 1
    hard = np.zeros(len(scores))
    for epoch in epochs:
        hard += fakes & ~sampler.epoch_plan(epoch).easy
    return hard[fakes] / len(epochs)


def quality_scores(num_real, num_fake):
    return np.concatenate(
        [np.full(num_real, np.nan),
         np.linspace(0, 1, num_fake)])


def test_higher_quality_fakes_are_hard_more_often():
    sampler = make_sampler(num_real=10, num_fake=200, pacing='constant')
    rates = hard_rates(sampler, quality_scores(10, 200))
    # T=1, 30% hard: expected ~0.40 (top quartile) vs ~0.21 (bottom)
    low, high = rates[:50].mean(), rates[-50:].mean()
    assert high > low + 0.1


def test_low_is_hard_flips_the_preference():
    sampler = make_sampler(num_real=10, num_fake=200, pacing='constant',
                           direction='low_is_hard')
    rates = hard_rates(sampler, quality_scores(10, 200))
    assert rates[:50].mean() > rates[-50:].mean() + 0.1


def test_no_temperature_or_no_scores_is_uniform():
    uniform = make_sampler(num_real=10, num_fake=200, pacing='constant',
                           temperature=None)
    rates = hard_rates(uniform, quality_scores(10, 200))
    assert abs(rates[:50].mean() - rates[-50:].mean()) < 0.1
    # the draw equals the one made before any score arrived
    unscored = make_sampler(num_real=10, num_fake=200, pacing='constant')
    all_nan = make_sampler(num_real=10, num_fake=200, pacing='constant')
    all_nan.set_scores(np.full(210, np.nan))
    for epoch in range(3):
        expected = unscored.epoch_plan(epoch).easy
        assert np.array_equal(uniform.epoch_plan(epoch).easy, expected)
        assert np.array_equal(all_nan.epoch_plan(epoch).easy, expected)


def test_selection_logits_use_ranks():
    logits = selection_logits(np.array([10., 20., 30.]), temperature=0.5)
    np.testing.assert_allclose(logits, [0., 1., 2.])
    rescaled = selection_logits(np.array([10., 20., 30.]) * 7 - 3, 0.5)
    np.testing.assert_allclose(rescaled, logits)
    ties = selection_logits(np.array([1., 1., 5.]), temperature=1.0)
    np.testing.assert_allclose(ties, [0.25, 0.25, 1.])
    with_nan = selection_logits(np.array([1., np.nan, 2., 3., 4.]), 1.0)
    assert with_nan[1] == pytest.approx(np.median(with_nan[[0, 2, 3, 4]]))
    flipped = selection_logits(np.array([10., 20., 30.]), 1.0, 'low_is_hard')
    np.testing.assert_allclose(flipped, [1., 0.5, 0.])
    assert not selection_logits(np.array([1., 2.]), None).any()


def test_state_dict_round_trip_continues_the_curriculum():
    first = make_sampler(seed=3)
    first.set_scores(quality_scores(20, 30))
    first.set_epoch(4)
    state = json.loads(json.dumps(first.state_dict()))  # plain values
    resumed = make_sampler(seed=99)
    resumed.load_state_dict(state)
    assert resumed.epoch == 4
    assert list(resumed) == list(first)
    assert run_epoch_seeded(resumed, 5) == run_epoch_seeded(first, 5)
    with pytest.raises(KeyError, match='scores'):
        resumed.load_state_dict(dict(epoch=1, seed=2))


def test_dataloader_workers_receive_index_flag_and_seed():
    sampler = make_sampler(num_real=13, num_fake=24)
    sampler.set_epoch(2)
    loader = DataLoader(
        sampler.dataset, batch_size=5, sampler=sampler, num_workers=2,
        collate_fn=keep_batch)
    received = [item for batch in loader for item in batch]
    assert received == list(sampler)
    assert all(len(item) == 3 for item in received)
    assert any(item[1] for item in received)
    assert not all(item[1] for item in received if item[0] >= 13)


def test_build_from_registry_with_runner_defaults():
    dataset = FrameSet([0, 1, 1, 0, 1])
    sampler = DATA_SAMPLERS.build(
        dict(type='QualityCurriculumSampler', pacing='step', num_steps=2,
             end_epoch=4, rank=0, world_size=1),
        default_args=dict(dataset=dataset, seed=7))
    assert isinstance(sampler, QualityCurriculumSampler)
    assert sampler.seed == 7 and len(sampler) == 5


def test_bad_input_raises_clear_errors():
    with pytest.raises(TypeError, match='get_labels'):
        QualityCurriculumSampler([0, 1, 1], seed=0)
    with pytest.raises(ValueError, match='index 2'):
        QualityCurriculumSampler(FrameSet([0, 1, 2]), seed=0)
    with pytest.raises(ValueError, match='expected'):
        make_sampler().set_scores(np.zeros(3))
    with pytest.raises(ValueError, match='direction'):
        make_sampler(direction='up')
    with pytest.raises(KeyError, match='valid names'):
        make_sampler(pacing='cosine')
    with pytest.raises(TypeError):
        make_sampler(pacing='linear', num_steps=3)
    with pytest.raises(ValueError, match='temperature'):
        make_sampler(temperature=0)
    with pytest.raises(ValueError, match='rank'):
        make_sampler(rank=2, world_size=2)


def test_end_epoch_defaults_to_two_thirds_of_the_schedule():
    sampler = make_sampler(end_epoch=None)
    with pytest.raises(RuntimeError, match='set_max_epochs'):
        sampler.epoch_plan(0)
    sampler.set_max_epochs(12)
    assert sampler.end_epoch == 8
    assert sampler.hard_fraction(8) == 1.0 > sampler.hard_fraction(7)
    explicit = make_sampler(end_epoch=3)
    explicit.set_max_epochs(12)
    assert explicit.end_epoch == 3


def test_use_freda_false_marks_nothing_easy_but_keeps_the_plan():
    with_freda = make_sampler(start_fraction=0.2)
    without = make_sampler(start_fraction=0.2, use_freda=False)
    assert any(easy for _, easy, _ in with_freda)
    assert not any(easy for _, easy, _ in without)
    assert [i for i, _, _ in without] == [i for i, _, _ in with_freda]
    np.testing.assert_array_equal(without.epoch_plan(0).planned_easy,
                                  with_freda.epoch_plan(0).easy)
    assert not without.epoch_plan(0).easy.any()


def test_sample_seeds_ride_with_the_index():
    """Each item carries a seed per (epoch, position): the same on every
    rank and for any world size, new every epoch."""
    seeded = run_epoch_seeded(make_sampler(num_fake=31), 4)
    assert all(type(s) is int and 0 <= s < 2**32 for _, _, s in seeded)
    seed_of = {i: s for i, _, s in seeded}
    assert len(set(seed_of.values())) == len(seed_of)
    shards = [run_epoch_seeded(make_sampler(num_fake=31, rank=r,
                                            world_size=2), 4)
              for r in range(2)]
    assert all(seed_of[i] == s for shard in shards for i, _, s in shard)
    later = dict((i, s) for i, _, s in
                 run_epoch_seeded(make_sampler(num_fake=31), 5))
    assert all(later[i] != seed_of[i] for i in seed_of)


# ------------------------------------------------------- 'selection' mode
def test_selection_keeps_the_epoch_length_and_every_real():
    sampler = make_sampler(num_real=20, num_fake=30, mode='selection')
    sampler.set_scores(quality_scores(20, 30))
    items = run_epoch(sampler, 1)
    assert len(items) == len(sampler) == 50
    indices = [i for i, _ in items]
    assert sorted(i for i in indices if i < 20) == list(range(20))
    assert sum(i >= 20 for i in indices) == 30
    plan = sampler.epoch_plan(1)
    assert plan.visits.sum() == 50 and (plan.visits[:20] == 1).all()
    assert np.array_equal(np.bincount(indices, minlength=50), plan.visits)
    # a fake chosen twice is not the only one: some fakes are left out
    assert (plan.visits[20:] == 0).any() and (plan.visits[20:] > 1).any()


def test_selection_chooses_higher_rated_fakes_more_often():
    """The slot draw favours realistic fakes, more so at a lower
    temperature; with no temperature it is uniform."""
    scores = quality_scores(10, 200)

    def visit_rates(**kwargs):
        sampler = make_sampler(num_real=10, num_fake=200, mode='selection',
                               **kwargs)
        sampler.set_scores(scores)
        visits = sum(sampler.epoch_plan(e).visits for e in range(20))
        fakes = visits[10:] / 20
        return fakes[:50].mean(), fakes[-50:].mean()

    low, high = visit_rates(temperature=0.5)
    assert high > 3 * low
    low_greedy, high_greedy = visit_rates(temperature=0.25)
    assert high_greedy / low_greedy > high / low
    # equal weights: every fake exactly once, as in 'routing'
    sampler = make_sampler(num_real=10, num_fake=200, mode='selection',
                           temperature=None)
    assert (sampler.epoch_plan(3).visits == 1).all()


def test_selection_gives_each_fake_floor_or_ceiling_of_its_share():
    """Systematic sampling: a fake's slots are its expected count rounded
    down or up, never a lucky 3 for an expected 1.2."""
    sampler = make_sampler(num_real=5, num_fake=300, mode='selection',
                           temperature=0.5)
    scores = quality_scores(5, 300)
    sampler.set_scores(scores)
    logits = selection_logits(scores[5:], 0.5)
    expected = np.exp(logits) / np.exp(logits).sum() * 300
    for epoch in range(5):
        visits = sampler.epoch_plan(epoch).visits[5:]
        assert visits.sum() == 300
        assert ((visits == np.floor(expected)) |
                (visits == np.ceil(expected))).all()


def test_selection_routes_chosen_low_quality_fakes_to_freda():
    sampler = make_sampler(num_real=10, num_fake=100, mode='selection',
                           pacing='constant', start_fraction=0.6,
                           temperature=0.1)
    sampler.set_scores(quality_scores(10, 100))
    plan = sampler.epoch_plan(3)
    # at a low temperature the easy set is the least realistic 40 %
    assert plan.easy[10:50].mean() > 0.85 and plan.easy[70:].mean() < 0.05
    freda = np.where(plan.easy, plan.visits, 0)
    assert freda[:10].sum() == 0
    items = run_epoch(sampler, 3)
    assert sum(easy for _, easy in items) == freda.sum()


def test_end_fraction_keeps_the_least_realistic_fakes_in_freda():
    sampler = make_sampler(num_real=10, num_fake=40, end_epoch=4,
                           end_fraction=0.75, temperature=0.1)
    assert sampler.hard_fraction(10) == 0.75 == sampler.hard_fraction(4)
    assert sampler.hard_fraction(0) == 0.3
    assert sampler.epoch_plan(10).num_easy == 10
    with pytest.raises(ValueError, match='end_fraction'):
        make_sampler(end_fraction=0)
    with pytest.raises(ValueError, match='mode'):
        make_sampler(mode='greedy')
    with pytest.raises(ValueError, match='freda_fraction'):
        make_sampler(freda_fraction=1.5)


def test_selection_plan_is_pure_sharded_and_seeded_per_slot():
    def sampler(**kwargs):
        s = make_sampler(num_real=7, num_fake=24, mode='selection',
                         **kwargs)
        s.set_scores(quality_scores(7, 24))
        return s

    full = run_epoch_seeded(sampler(), 2)
    assert full == run_epoch_seeded(sampler(), 2)  # (seed, epoch, scores)
    assert full != run_epoch_seeded(sampler(), 3)
    shards = [run_epoch_seeded(sampler(rank=r, world_size=2), 2)
              for r in range(2)]
    positions = sampler(rank=0, world_size=2).epoch_plan(2).order
    assert [i for i, _, _ in shards[0]] == positions[0::2].tolist()
    assert [i for i, _, _ in shards[1]] == positions[1::2].tolist()
    assert positions[:31].tolist() == [i for i, _, _ in full]
    # the same slot has the same seed on every rank and in one process
    assert [s for _, _, s in shards[0]] == [s for _, _, s in full][0::2]
    # a fake chosen twice is augmented differently each time
    seeds_of = {}
    for index, _, seed in full:
        seeds_of.setdefault(index, []).append(seed)
    repeated = [s for s in seeds_of.values() if len(s) > 1]
    assert repeated and all(len(set(s)) == len(s) for s in repeated)


def test_selection_state_dict_round_trip():
    first = make_sampler(seed=3, mode='selection')
    first.set_scores(quality_scores(20, 30))
    first.set_epoch(4)
    resumed = make_sampler(seed=99, mode='selection')
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
    assert list(resumed) == list(first)
    assert run_epoch(resumed, 5) == run_epoch(first, 5)


# ---------------------------------------------------------- 'paced' mode
class PairedFrameSet(FrameSet):
    def __init__(self, labels, paired):
        super().__init__(labels)
        self.paired = np.asarray(paired, dtype=bool)

    def get_paired(self):
        return self.paired.copy()


def paced(num_real=10, num_fake=400, **kwargs):
    kwargs.update(mode='paced')
    kwargs.setdefault('end_epoch', 4)
    return make_sampler(num_real=num_real, num_fake=num_fake, **kwargs)


def raw_and_freda_visits(plan, num_real):
    visits = plan.visits[num_real:]
    easy = plan.easy[num_real:]
    return np.where(easy, 0, visits), np.where(easy, visits, 0)


def test_paced_is_the_default_mode():
    sampler = QualityCurriculumSampler(FrameSet([0, 1, 1]), seed=0,
                                       rank=0, world_size=1, end_epoch=2)
    assert sampler.mode == 'paced'


def test_paced_raw_fakes_grow_more_realistic_every_epoch():
    """What docs/method.md promises: per epoch until end_epoch the mean FQS
    of the fakes used raw rises, and early epochs choose easy fakes more
    often than realistic ones, late epochs the reverse."""
    sampler = paced(end_epoch=4)
    scores = quality_scores(10, 400)
    sampler.set_scores(scores)
    means, low_visits, high_visits = [], [], []
    for epoch in range(6):
        plan = sampler.epoch_plan(epoch)
        raw, _ = raw_and_freda_visits(plan, 10)
        means.append(np.average(scores[10:], weights=raw))
        low_visits.append(plan.visits[10:110].mean())
        high_visits.append(plan.visits[-100:].mean())
    assert all(b > a + 0.005 for a, b in zip(means[:4], means[1:5]))
    assert means[5] == pytest.approx(means[4], abs=0.01)  # beta_end held
    assert low_visits[0] > 1.5 * high_visits[0]
    assert high_visits[4] > 1.5 * low_visits[4]
    assert sampler.beta(0) == -1.0 and sampler.beta(4) == 1.0


@pytest.mark.parametrize('freda_fraction', [0.3, 0.5])
def test_paced_split_holds_exactly(freda_fraction):
    """The least realistic freda_fraction of the fakes are easy every
    epoch: the bottom quartile is never used raw."""
    sampler = paced(freda_fraction=freda_fraction)
    scores = quality_scores(10, 400)
    sampler.set_scores(scores)
    for epoch in range(6):
        plan = sampler.epoch_plan(epoch)
        num_easy = round(freda_fraction * 400)
        assert plan.num_easy == plan.easy.sum() == num_easy
        assert plan.easy[10:10 + num_easy].all()
        assert not plan.easy[10 + num_easy:].any()
        raw, freda = raw_and_freda_visits(plan, 10)
        assert raw[:100].sum() == 0 and freda[:100].sum() > 0
        items = run_epoch(sampler, epoch)
        assert sum(e for _, e in items) == freda.sum()


def test_paced_keeps_epoch_length_and_every_real():
    sampler = paced(num_real=20, num_fake=30)
    sampler.set_scores(quality_scores(20, 30))
    for epoch in range(5):
        items = run_epoch(sampler, epoch)
        indices = [i for i, _ in items]
        assert len(items) == len(sampler) == 50
        assert sorted(i for i in indices if i < 20) == list(range(20))
        assert sum(i >= 20 for i in indices) == 30


def test_paced_without_scores_visits_every_fake_once():
    """Before any score (and with use_scores=False) every fake ranks at
    random: one visit each, and a random split of the promised size."""
    sampler = paced(num_real=10, num_fake=100)
    plan = sampler.epoch_plan(0)
    assert (plan.visits == 1).all() and plan.num_easy == 30
    other = sampler.epoch_plan(1)
    assert not np.array_equal(plan.easy, other.easy)
    blind = paced(num_real=10, num_fake=100, use_scores=False)
    blind.set_scores(quality_scores(10, 100))
    easy_rate = sum(blind.epoch_plan(e).easy for e in range(40))[10:] / 40
    assert abs(easy_rate[:50].mean() - easy_rate[50:].mean()) < 0.08
    assert (blind.epoch_plan(3).visits == 1).all()


def test_paced_never_routes_an_unpaired_fake_to_freda():
    labels = [0] * 5 + [1] * 20
    paired = [False] * 5 + [False, True] * 10
    sampler = QualityCurriculumSampler(
        PairedFrameSet(labels, paired), seed=0, rank=0, world_size=1,
        end_epoch=2, freda_fraction=0.6)
    sampler.set_scores(np.r_[np.full(5, np.nan), np.linspace(0, 1, 20)])
    plan = sampler.epoch_plan(1)
    unpaired = np.flatnonzero(~np.asarray(paired))[5:]
    assert not plan.easy[unpaired].any()
    assert plan.planned_easy[unpaired].any()  # the plan wanted some
    assert not any(e for i, e in run_epoch(sampler, 1) if i in unpaired)
    with pytest.raises(ValueError, match='get_paired'):
        QualityCurriculumSampler(PairedFrameSet(labels, paired[:3]), seed=0,
                                 rank=0, world_size=1)


def test_paced_plan_is_pure_sharded_and_resumes_exactly():
    def sampler(**kwargs):
        s = paced(num_real=7, num_fake=40, **kwargs)
        s.set_scores(quality_scores(7, 40))
        return s

    full = run_epoch_seeded(sampler(), 2)
    assert full == run_epoch_seeded(sampler(), 2)
    shards = [run_epoch_seeded(sampler(rank=r, world_size=2), 2)
              for r in range(2)]
    padded = sampler(rank=0, world_size=2).epoch_plan(2)
    for rank in range(2):
        assert [i for i, _, _ in shards[rank]] == \
            padded.order[rank::2].tolist()
        assert [s for _, _, s in shards[rank]] == \
            padded.seeds[rank::2].tolist()
    assert [s for _, _, s in full] == padded.seeds[:47].tolist()
    first = sampler(seed=3)
    first.set_epoch(3)
    resumed = paced(num_real=7, num_fake=40, seed=50)
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
    assert list(resumed) == list(first)


def test_sampler_remembers_the_plan_it_yielded():
    sampler = paced(num_real=5, num_fake=20)
    assert sampler.last_plan is None
    items = run_epoch(sampler, 2)
    plan = sampler.last_plan
    assert plan.epoch == 2
    assert [i for i, _ in items] == plan.order.tolist()
    assert [e for _, e in items] == plan.easy[plan.order].tolist()
