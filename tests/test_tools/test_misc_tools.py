"""tools/misc: print_config shows the merged config, browse_dataset replays
an epoch of the quality-centric curriculum as the sampler plans it and as a
run recorded it."""
import json

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from qcdet.datasets import DeepfakeDataset
from qcdet.datasets.samplers import QualityCurriculumSampler
from qcdet.offline.static_quality import score_annotation
from qcdet.quality.fqs import FQSCombiner

NUM_SHOWN = 16
NCOLS = 4


def test_print_config_merges_bases_and_overrides(cli):
    plain = cli.run([cli.python, 'tools/misc/print_config.py',
                     'configs/qc_demo.py'])
    changed = cli.run([
        cli.python, 'tools/misc/print_config.py', 'configs/qc_demo.py',
        '--cfg-options', 'train_cfg.max_epochs=7',
        'train_dataloader.sampler.beta_end=2.5'
    ])
    # from the _base_ files: the model, the QC sampler and hook
    for text in (plain, changed):
        assert "model_name='mobilenetv3_small_050'" in text
        assert "type='QualityScoreHook'" in text
        assert "ann_file='annotations/train_static.json'" in text
    assert 'max_epochs=12' in plain and 'beta_end=1.0' in plain
    assert 'max_epochs=7' in changed and 'beta_end=2.5' in changed
    assert 'max_epochs=12' not in changed


def test_browse_dataset_modes_are_the_browsers():
    import runpy

    from qcdet.visualization.dataset_browser import BROWSE_MODES
    tool = runpy.run_path('tools/misc/browse_dataset.py')
    assert tool['BROWSE_MODES'] == BROWSE_MODES


@pytest.fixture(scope='module')
def static_root(demo_root):
    """The demo data with its train fakes' static scores (SSIM)."""
    annotations = demo_root / 'annotations'
    score_annotation(str(annotations / 'train.json'),
                     str(annotations / 'train_static.json'),
                     dict(type='SSIMSimilarityEvaluator'), progress=False)
    return demo_root


def shown_samples(log):
    """The ``key=value`` lines browse_dataset prints, one per panel."""
    samples = []
    for line in log.splitlines():
        if line.startswith('index='):
            samples.append(dict(item.split('=', 1)
                                for item in line.split(' ')))
    return samples


def planned_epoch(root, epoch, dynamic=None):
    """The sampler of configs/qc_demo.py, built directly, with the FQS of
    the hook's default rule, at ``epoch`` (0-based): its plan and first
    ``NUM_SHOWN`` items."""
    cfg = Config.fromfile('configs/qc_demo.py')
    dataset = DeepfakeDataset(ann_file='annotations/train_static.json',
                              data_root=str(root), pipeline=[])
    sampler_cfg = dict(cfg.train_dataloader.sampler)
    sampler_cfg.pop('type')
    sampler = QualityCurriculumSampler(dataset, seed=0, **sampler_cfg)
    sampler.set_max_epochs(cfg.train_cfg.max_epochs)
    labels = dataset.get_labels()
    fqs = FQSCombiner()(labels, dataset.get_static_quality(), dynamic)
    sampler.set_scores(fqs)
    sampler.set_epoch(epoch)
    items = list(iter(sampler))[:NUM_SHOWN]
    return sampler.epoch_plan(epoch), items, fqs


def browse(cli, root, out_dir, *args, opts=None, **env):
    return cli.run([
        cli.python, 'tools/misc/browse_dataset.py', 'configs/qc_demo.py',
        '--output-dir', str(out_dir), '-n', str(NUM_SHOWN), '--ncols',
        str(NCOLS), *args, *cli.cfg_options(root, **(opts or {}))
    ], **env)


def check_against_plan(samples, plan, items, fqs):
    assert [int(s['index']) for s in samples] == [i for i, _, _ in items]
    for sample in samples:
        index = int(sample['index'])
        easy = bool(plan.easy[index])
        assert sample['freda_applied'] == str(easy)
        if sample['label'] == '1':
            assert sample['curriculum'] == ('easy' if easy else 'hard')
            assert float(sample['fqs']) == pytest.approx(fqs[index],
                                                         abs=1e-4)
        else:
            assert 'curriculum' not in sample and sample['fqs'] == 'None'
    # the check means something only if both kinds are on show
    kinds = {s.get('curriculum') for s in samples}
    assert {'easy', 'hard'} <= kinds


@pytest.mark.slow
def test_browse_dataset_shows_the_planned_epoch(static_root, tmp_path,
                                                cli):
    log = browse(cli, static_root, tmp_path, '--epoch', '2')
    png = tmp_path / 'qc_demo_train_epoch2.png'
    image = cv2.imread(str(png))
    # 16 panels of 3 images (loaded, FreDA, model input), 4 per row, at the
    # figure's 100 dpi: 1.6 in per image and 2 in per row
    rows = NUM_SHOWN // NCOLS
    assert image.shape[:2] == (round((2.0 * rows + 0.5) * 100),
                               round((1.6 * 3 * NCOLS + 0.2) * 100))
    samples = shown_samples(log)
    assert len(samples) == NUM_SHOWN
    check_against_plan(samples, *planned_epoch(static_root, 1))


@pytest.mark.slow
def test_browse_dataset_uses_recorded_dynamic_scores(static_root, tmp_path,
                                                     cli):
    dataset = DeepfakeDataset(ann_file='annotations/train.json',
                              data_root=str(static_root), pipeline=[])
    labels = dataset.get_labels()
    fakes = np.flatnonzero(labels == 1)
    # a run's epoch file: dynamic scores after epoch 3, one fake unseen
    values = np.linspace(0, 1, len(fakes))[::-1]
    dynamic = np.full(len(labels), np.nan)
    dynamic[fakes[1:]] = values[1:]
    epoch_file = tmp_path / 'epoch_3.json'
    epoch_file.write_text(json.dumps(dict(epoch=3, samples=dict(
        index=fakes.tolist(),
        dynamic=[None] + values[1:].tolist()))))
    # --show draws into a window; Agg has none, so it only must not fail
    log = browse(cli, static_root, tmp_path, '--scores', str(epoch_file),
                 '--show', MPLBACKEND='Agg')
    # the dynamic scores after epoch 3 plan epoch 4
    assert (tmp_path / 'qc_demo_train_epoch4.png').is_file()
    plan, items, fqs = planned_epoch(static_root, 3, dynamic)
    check_against_plan(shown_samples(log), plan, items, fqs)


@pytest.mark.slow
def test_browse_dataset_replays_a_runs_epochs(static_root, tmp_path, cli):
    """Epoch 1 from the static scores alone, epoch 2 from the dynamic
    scores recorded after epoch 1: both as the run's epoch files say."""
    work = tmp_path / 'run'
    cli.train('configs/qc_demo.py', work, static_root,
              **{'train_cfg.max_epochs': 2})
    for epoch, args in ((1, ()), (2, ('--scores', str(
            work / 'quality' / 'epoch_1.json')))):
        log = browse(cli, static_root, tmp_path, *args,
                     opts={'train_cfg.max_epochs': 2})
        recorded = json.loads(
            (work / 'quality' / f'epoch_{epoch}.json').read_text())
        easy = dict(zip(recorded['samples']['index'],
                        recorded['samples']['easy']))
        fqs = dict(zip(recorded['samples']['index'],
                       recorded['samples']['fqs']))
        fakes = [s for s in shown_samples(log) if s['label'] == '1']
        assert fakes
        for sample in fakes:
            index = int(sample['index'])
            assert sample['curriculum'] == ('easy' if easy[index]
                                            else 'hard')
            assert float(sample['fqs']) == pytest.approx(fqs[index],
                                                         abs=1e-4)
