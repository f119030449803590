"""Quality-centric training end to end: static scores, per-epoch quality
files that follow the pacing function, and a resume that continues the
curriculum where it stopped."""
import json
import os

import numpy as np
import pytest

from qcdet.offline.static_quality import score_annotation

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

EPOCHS = 3
OPTS = {
    'train_cfg.max_epochs': EPOCHS,
    'train_dataloader.dataset.ann_file': 'annotations/train_static.json',
    'train_dataloader.sampler.end_epoch': 2
}


@pytest.fixture(scope='module')
def scored_root(demo_root):
    score_annotation(str(demo_root / 'annotations' / 'train.json'),
                     str(demo_root / 'annotations' / 'train_static.json'),
                     dict(type='SSIMSimilarityEvaluator'),
                     progress=False)
    return demo_root


@pytest.fixture(scope='module')
def qc_run(scored_root, tmp_path_factory, cli):
    work = tmp_path_factory.mktemp('qc')
    cli.train('configs/qc_demo.py', work, scored_root, **OPTS)
    return work


def epoch_file(work, epoch):
    return json.loads((work / 'quality' / f'epoch_{epoch}.json').read_text())


def test_quality_files_follow_the_pacing(qc_run):
    files = [epoch_file(qc_run, e) for e in range(1, EPOCHS + 1)]
    num_fakes = files[0]['num_fakes']
    num_easy = int(np.floor(0.3 * num_fakes + 0.5))
    # the shipped 'paced' mode: beta rises -1 -> +1 at end_epoch=2 (epochs
    # 0, 1, 2), and the least realistic 30 % by FQS are easy every epoch
    assert [f['beta'] for f in files] == [-1.0, 0.0, 1.0]
    for f in files:
        assert f['num_easy'] == sum(f['samples']['easy']) == num_easy
        fqs = np.array(f['samples']['fqs'], dtype=float)
        easy = np.array(f['samples']['easy'])
        assert fqs[easy].max() <= fqs[~easy].min()
        # equal epoch length: one fake slot per fake, shared by FQS
        assert sum(f['samples']['visits']) == num_fakes
        assert sum(q['visits'] for q in f['per_fqs_quartile']) == num_fakes
        # the bottom quartile reaches the detector only through FreDA
        bottom = f['per_fqs_quartile'][0]
        assert bottom['freda_visits'] == bottom['visits'] > 0
        # FreDA counted from what the pipeline did (every fake is paired)
        planned = sum(v for v, e in zip(f['samples']['visits'],
                                        f['samples']['easy']) if e)
        assert f['freda_visits'] == planned
    # realistic fakes are chosen more often as training goes on
    raw_realism = [f['mean_fqs_raw'] for f in files]
    assert raw_realism[0] < raw_realism[2]
    # static scores from the annotation are there from the first epoch
    assert all(s is not None for s in files[0]['samples']['static'])
    # FQS changes once the detector's feedback enters it
    fqs = [np.array(f['samples']['fqs'], dtype=float) for f in files]
    assert not np.allclose(fqs[0], fqs[1])
    # d measures the fake itself: exactly the fakes seen raw have one
    seen_raw = [v > 0 and not e for v, e in zip(files[0]['samples']['visits'],
                                               files[0]['samples']['easy'])]
    assert [d is not None for d in files[0]['samples']['dynamic']] == seen_raw


def test_resume_continues_the_curriculum(qc_run, scored_root, tmp_path, cli):
    work = tmp_path / 'resumed'
    cli.train('configs/qc_demo.py', work, scored_root,
              **dict(OPTS, **{'train_cfg.max_epochs': 2}))
    out = cli.train('configs/qc_demo.py', work, scored_root, '--resume',
                    **OPTS)
    assert 'restored quality scores' in out
    # the scores the resumed run starts epoch 3 from are those the
    # interrupted run ended epoch 2 with, so FQS and the hard/easy draw match
    # what an uninterrupted run computed
    resumed, uninterrupted = epoch_file(work, 3), epoch_file(qc_run, 3)
    before = epoch_file(work, 2)
    assert before['samples']['dynamic'] == \
        epoch_file(qc_run, 2)['samples']['dynamic']
    np.testing.assert_allclose(
        np.array(resumed['samples']['fqs'], dtype=float),
        np.array(uninterrupted['samples']['fqs'], dtype=float))
    assert resumed['samples']['easy'] == uninterrupted['samples']['easy']


def test_two_process_scores_are_synchronised(scored_root, tmp_path, cli):
    """Each rank sees half of the fake slots; after the all-reduce every
    fake seen raw on either rank has feedback, so both ranks drew the same
    plan (disjoint shards) and hold the same scores."""
    work = tmp_path / 'dist'
    out = cli.run(['bash', 'tools/dist_train.sh', 'configs/qc_demo.py', '2',
                   '--work-dir', str(work),
                   *cli.cfg_options(scored_root,
                                    **dict(OPTS,
                                           **{'train_cfg.max_epochs': 1}))],
                  PORT=str(29700 + os.getpid() % 1000))
    assert 'GPU number: 2' in out
    first = epoch_file(work, 1)
    seen_raw = [v > 0 and not e for v, e in zip(first['samples']['visits'],
                                               first['samples']['easy'])]
    assert first['num_fakes_with_feedback'] == sum(seen_raw) > 0
    assert [d is not None for d in first['samples']['dynamic']] == seen_raw
