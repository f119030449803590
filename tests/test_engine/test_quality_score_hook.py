"""QualityScoreHook on a stand-in runner: it reads the feedback the training
step left on the model (never calling the model), turns it into FQS for the
sampler, writes the per-epoch files and keeps its state in checkpoints."""
import json
import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from qcdet.datasets.samplers import QualityCurriculumSampler
from qcdet.engine.hooks import QualityScoreHook

LABELS = np.array([0, 0, 1, 1, 1, 1])
STATIC = np.array([np.nan, np.nan, 0.9, 0.1, 0.5, np.nan])


class FrameSet:
    def __len__(self):
        return len(LABELS)

    def get_labels(self):
        return LABELS

    def get_static_quality(self):
        return STATIC

    def get_methods(self):
        return np.array(['real', 'real', 'a', 'a', 'b', 'b'], dtype=object)


class NoForwardModel(torch.nn.Module):
    train_feedback = None

    def forward(self, *args, **kwargs):
        raise AssertionError('the hook must not run the model')


def make_runner(tmp_path, resume=False):
    dataset = FrameSet()
    sampler = QualityCurriculumSampler(dataset, seed=0, mode='routing',
                                       start_fraction=0.5, rank=0,
                                       world_size=1)
    return SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=dataset, sampler=sampler),
        model=NoForwardModel(), logger=logging.getLogger('test'),
        message_hub=MessageHub.get_instance('test_quality_hook'),
        work_dir=str(tmp_path), epoch=0, max_epochs=3, _resume=resume)


def feedback(idx, prob, label):
    return dict(sample_idx=torch.tensor(idx), fake_prob=torch.tensor(prob),
                loss=-torch.log(torch.tensor(prob)), label=torch.tensor(label))


def run_epoch(hook, runner, batches):
    hook.before_train_epoch(runner)
    list(runner.train_dataloader.sampler)  # the DataLoader iterates it
    for i, batch in enumerate(batches):
        runner.model.train_feedback = batch
        hook.after_train_iter(runner, i)
        assert runner.model.train_feedback is None  # consumed once
    hook.after_train_epoch(runner)


def test_epoch_cycle(tmp_path):
    runner = make_runner(tmp_path)
    hook = QualityScoreHook()
    hook.before_run(runner)
    sampler = runner.train_dataloader.sampler
    assert sampler.end_epoch == 2  # 2/3 of max_epochs

    batches = [feedback([0, 2, 3], [0.1, 0.9, 0.2], [0, 1, 1]),
               feedback([4, 5, 2], [0.6, 0.4, 0.7], [1, 1, 1])]
    run_epoch(hook, runner, batches)
    # dynamic d = 1 - p_fake averaged over the epoch, fakes only
    np.testing.assert_allclose(hook.store.dynamic,
                               [np.nan, np.nan, 0.2, 0.8, 0.4, 0.6])
    # epoch 1 FQS came from the static score alone (no feedback yet)
    first = json.loads((tmp_path / 'quality' / 'epoch_1.json').read_text())
    assert first['samples']['index'] == [2, 3, 4, 5]
    assert first['samples']['fqs'] == [1.0, 0.0, 0.5, 0.5]
    assert first['num_hard'] == 2 and sum(first['samples']['easy']) == 2
    assert set(first['per_method']) == {'a', 'b'}

    runner.epoch = 1
    hook.before_train_epoch(runner)
    # now FQS = rank(d) + rank(q) (missing q -> median)
    np.testing.assert_allclose(sampler.scores,
                               [np.nan, np.nan, 1, 1, 5 / 6, 7 / 6])
    assert runner.message_hub.get_scalar('quality/hard_fraction') is not None


def test_checkpoint_round_trip_only_on_resume(tmp_path):
    runner = make_runner(tmp_path)
    hook = QualityScoreHook()
    hook.before_run(runner)
    run_epoch(hook, runner, [feedback([2, 3], [0.9, 0.3], [1, 1])])
    runner.train_dataloader.sampler.set_epoch(1)
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)

    fresh_runner = make_runner(tmp_path / 'b')
    fresh = QualityScoreHook()
    fresh.before_run(fresh_runner)
    fresh.after_load_checkpoint(fresh_runner, ckpt)  # load_from: ignored
    assert np.isnan(fresh.store.dynamic).all()

    resumed_runner = make_runner(tmp_path / 'c', resume=True)
    resumed = QualityScoreHook()
    resumed.before_run(resumed_runner)
    resumed.after_load_checkpoint(resumed_runner, ckpt)
    np.testing.assert_array_equal(resumed.store.dynamic, hook.store.dynamic)
    assert resumed_runner.train_dataloader.sampler.epoch == 1


def test_needs_a_deepfake_dataset(tmp_path):
    runner = make_runner(tmp_path)
    runner.train_dataloader.dataset = [1, 2, 3]
    with pytest.raises(TypeError, match='get_labels'):
        QualityScoreHook().before_run(runner)


def test_freda_feedback_keeps_the_previous_dynamic_score(tmp_path):
    """A fake's d measures the fake, not its FreDA'd image: feedback flagged
    ``freda`` is left out (and counted as FreDA'd exposure), the fake keeps
    its previous d."""
    runner = make_runner(tmp_path)
    hook = QualityScoreHook()
    hook.before_run(runner)
    run_epoch(hook, runner, [feedback([2, 3, 4], [0.9, 0.2, 0.6], [1, 1, 1])])
    before = hook.store.dynamic.copy()

    runner.epoch = 1
    second = feedback([2, 3, 4], [0.1, 0.1, 0.1], [1, 1, 1])
    second['freda'] = torch.tensor([True, False, True])
    run_epoch(hook, runner, [second])
    assert hook.store.dynamic[2] == pytest.approx(before[2])  # FreDA'd: kept
    assert hook.store.dynamic[4] == pytest.approx(before[4])
    assert hook.store.dynamic[3] == pytest.approx(0.9)  # raw: updated
    summary = json.loads((tmp_path / 'quality' / 'epoch_2.json').read_text())
    assert summary['freda_visits'] == 2 and summary['visits'] == 3
    assert summary['per_method']['a']['freda_visits'] == 1
    assert summary['per_method']['b']['freda_visits'] == 1


def test_epoch_file_logs_exposure_per_method_and_fqs_quartile(tmp_path):
    runner = make_runner(tmp_path)
    sampler = QualityCurriculumSampler(FrameSet(), seed=0, mode='selection',
                                       start_fraction=0.5, temperature=0.25,
                                       rank=0, world_size=1)
    runner.train_dataloader.sampler = sampler
    hook = QualityScoreHook()
    hook.before_run(runner)
    hook.before_train_epoch(runner)
    # what the training steps report for the items the sampler yields; the
    # one fake whose FreDA did not apply (unpaired) counts as raw
    items = list(sampler)
    freda_applied = [bool(e) for _, e, _ in items]
    first_easy = freda_applied.index(True)
    freda_applied[first_easy] = False
    runner.model.train_feedback = dict(
        feedback([i for i, _, _ in items], [0.5] * len(items),
                 [int(LABELS[i]) for i, _, _ in items]),
        freda=torch.tensor(freda_applied))
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)
    summary = json.loads((tmp_path / 'quality' / 'epoch_1.json').read_text())
    plan = sampler.last_plan
    assert summary['samples']['visits'] == plan.visits[2:].tolist()
    # the epoch has as many fake slots as fakes, whatever the draw
    assert sum(s['visits'] for s in summary['per_method'].values()) == 4
    freda = sum(s['freda_visits'] for s in summary['per_method'].values())
    planned = int(np.where(plan.easy, plan.visits, 0).sum())
    assert planned >= 1 and freda == planned - 1 == summary['freda_visits']
    quartiles = summary['per_fqs_quartile']
    assert [q['quartile'] for q in quartiles] == [1, 2, 3, 4]
    assert sum(q['count'] for q in quartiles) == 4
    assert sum(q['visits'] for q in quartiles) == 4


def test_epoch_file_reports_realism_of_raw_visits_and_beta(tmp_path):
    runner = make_runner(tmp_path)
    sampler = QualityCurriculumSampler(FrameSet(), seed=0, rank=0,
                                       world_size=1, freda_fraction=0.5)
    runner.train_dataloader.sampler = sampler
    hook = QualityScoreHook(momentum=0.5)
    hook.before_run(runner)
    assert hook.store.momentum == 0.5
    hook.before_train_epoch(runner)
    items = list(sampler)
    runner.model.train_feedback = dict(
        feedback([i for i, _, _ in items], [0.5] * len(items),
                 [int(LABELS[i]) for i, _, _ in items]),
        freda=torch.tensor([bool(e) for _, e, _ in items]))
    hook.after_train_iter(runner, 0)
    hook.after_train_epoch(runner)
    summary = json.loads((tmp_path / 'quality' / 'epoch_1.json').read_text())
    plan = sampler.last_plan
    assert summary['beta'] == plan.beta == -1.0
    raw = np.where(plan.easy, 0, plan.visits)[2:]
    fqs = hook.store.fqs[2:]
    assert summary['mean_fqs_raw'] == pytest.approx(
        np.average(fqs, weights=raw), abs=1e-6)
    # the raw fakes are the realistic half: above the mean of all
    assert summary['mean_fqs_raw'] > summary['mean_fqs']
