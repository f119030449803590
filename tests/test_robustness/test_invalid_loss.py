"""A NaN/inf loss stops training with an error that says where; non-finite
quality feedback is never stored."""
import json
import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmpretrain.structures import DataSample
from robust_helpers import train

from qcdet.datasets.samplers import QualityCurriculumSampler
from qcdet.engine.hooks import (
    CheckInvalidLossHook,
    InvalidLossError,
    QualityScoreHook,
)

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow


def batch_of(*paths):
    return dict(data_samples=[DataSample(metainfo=dict(img_path=p))
                              for p in paths])


@pytest.mark.parametrize('key, value', [('loss', float('nan')),
                                        ('loss_cls', float('inf'))])
def test_invalid_loss_names_epoch_iteration_and_frames(key, value):
    """Expectation: a non-finite value of any loss term raises
    InvalidLossError naming the term, the epoch, the iteration and the
    batch's frames; finite losses and non-loss outputs (acc) pass."""
    hook = CheckInvalidLossHook()
    runner = SimpleNamespace(epoch=1, iter=8)
    batch = batch_of('fake/a.png', 'real/b.png')
    hook.after_train_iter(runner, 2, batch, dict(loss=torch.tensor(0.7),
                                                 acc=torch.tensor(np.nan)))
    outputs = dict(loss=torch.tensor(0.7), acc=torch.tensor(0.5))
    outputs[key] = torch.tensor(value)
    with pytest.raises(InvalidLossError) as error:
        hook.after_train_iter(runner, 2, batch, outputs)
    message = str(error.value)
    for part in (key, 'epoch 2', 'iteration 9', 'fake/a.png', 'real/b.png'):
        assert part in message


def test_diverging_training_stops_with_a_clear_error(qc_config, tmp_path):
    """Expectation: a real divergence (learning rate 1e30) ends the run with
    exit code 1 and InvalidLossError at the first non-finite loss, before
    any checkpoint is written from the broken weights."""
    work = tmp_path / 'nan'
    out = train(qc_config, work, '--cfg-options',
                'optim_wrapper.optimizer.lr=1e30', expect_rc=1)
    assert 'InvalidLossError: Non-finite training loss' in out
    assert 'epoch 1, iteration' in out and '.png' in out
    assert not list(work.glob('*.pth'))


class FrameSet:
    labels = np.array([0, 1, 1, 1])

    def __len__(self):
        return len(self.labels)

    def get_labels(self):
        return self.labels

    def get_static_quality(self):
        return np.full(len(self.labels), np.nan)

    def get_methods(self):
        return np.array(['real', 'a', 'a', 'b'], dtype=object)


def test_quality_hook_skips_and_counts_non_finite_feedback(tmp_path,
                                                           caplog):
    """Expectation: feedback that is NaN/inf (a model producing NaN with the
    loss check switched off) is not recorded: the sample keeps its previous
    dynamic score, FQS stays finite, the skip is logged with the sample
    indices and counted in the epoch's quality file."""
    dataset = FrameSet()
    sampler = QualityCurriculumSampler(dataset, seed=0, rank=0, world_size=1)
    runner = SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=dataset, sampler=sampler),
        model=torch.nn.Module(), logger=logging.getLogger('nan_feedback'),
        message_hub=MessageHub.get_instance('nan_feedback'),
        work_dir=str(tmp_path), epoch=0, iter=0, max_epochs=3)
    hook = QualityScoreHook()
    hook.before_run(runner)
    hook.before_train_epoch(runner)
    runner.model.train_feedback = dict(
        sample_idx=torch.tensor([1, 2, 3]),
        fake_prob=torch.tensor([0.2, float('nan'), float('inf')]),
        loss=torch.tensor([1.6, float('nan'), float('nan')]),
        label=torch.tensor([1, 1, 1]))
    with caplog.at_level(logging.WARNING, logger='nan_feedback'):
        hook.after_train_iter(runner, 0)
    assert 'non-finite feedback of samples [2, 3]' in caplog.text
    hook.after_train_epoch(runner)

    assert hook.store.dynamic[1] == pytest.approx(0.8)
    assert np.isnan(hook.store.dynamic[2:]).all()  # unknown, not poisoned
    epoch = json.loads((tmp_path / 'quality' / 'epoch_1.json').read_text())
    assert epoch['num_nonfinite_feedback_skipped'] == 2
    assert epoch['num_fakes_with_feedback'] == 1
    runner.epoch = 1
    hook.before_train_epoch(runner)
    assert np.isfinite(sampler.scores[1:]).all()
    assert hook.num_skipped == 0  # counted per epoch
