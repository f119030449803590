"""The analysis tools on one tiny quality-centric demo run: every PNG is
written and the numbers behind it are those of the run."""
import json
import runpy
import sys
from collections import Counter

import numpy as np
import pytest
from mmengine.config import Config

from qcdet.evaluation.metrics import DeepfakeMetric
from qcdet.offline.static_quality import score_annotation
from qcdet.registry import MODELS
from qcdet.visualization import load_predictions

EPOCHS = 2
MIN_PNG_BYTES = 10_000


@pytest.fixture(scope='module')
def scored_ann(demo_root):
    out = demo_root / 'annotations' / 'train_static.json'
    if not out.is_file():
        score_annotation(str(demo_root / 'annotations' / 'train.json'),
                         str(out), dict(type='SSIMSimilarityEvaluator'),
                         progress=False)
    return out


@pytest.fixture(scope='module')
def qc_run(demo_root, scored_ann, tmp_path_factory, cli):
    """A 2-epoch QC run and its test-set predictions (tools/test.py --out)."""
    work = tmp_path_factory.mktemp('analysis')
    cli.train('configs/qc_demo.py', work, demo_root,
              **{'train_cfg.max_epochs': EPOCHS,
                 'train_dataloader.sampler.end_epoch': EPOCHS})
    preds = work / 'preds.pkl'
    out = cli.run([cli.python, 'tools/test.py', 'configs/qc_demo.py',
                   str(work / f'epoch_{EPOCHS}.pth'), '--work-dir',
                   str(work / 'test'), '--out', str(preds),
                   *cli.cfg_options(demo_root)])
    return dict(work=work, preds=preds, metrics=cli.last_json(out))


def run_tool(path, *args, capsys=None):
    """Run a tool script in this process (no interpreter start-up)."""
    argv = sys.argv
    sys.argv = [path, *map(str, args)]
    try:
        runpy.run_path(path, run_name='__main__')
    finally:
        sys.argv = argv
    return capsys.readouterr().out if capsys else None


def assert_png(path):
    assert path.is_file(), path
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert path.stat().st_size > MIN_PNG_BYTES


def quality_file(work, epoch):
    return json.loads((work / 'quality' / f'epoch_{epoch}.json').read_text())


@pytest.mark.slow
def test_plot_roc_matches_the_test_metrics(qc_run, tmp_path, capsys):
    out = tmp_path / 'roc.png'
    printed = run_tool('tools/analysis/plot_roc.py', qc_run['preds'],
                       '--names', 'demo', '--out', out, capsys=capsys)
    assert_png(out)
    aucs = json.loads(printed[:printed.rindex('}') + 1])
    # the same numbers tools/test.py printed (rounded to 6 places there)
    assert aucs['demo']['frame'] == pytest.approx(
        qc_run['metrics']['frame_auc'], abs=1e-6)
    assert aucs['demo']['video'] == pytest.approx(
        qc_run['metrics']['video_auc'], abs=1e-6)
    # and exactly DeepfakeMetric's on the dumped predictions
    preds = load_predictions(str(qc_run['preds']))
    metric = DeepfakeMetric()
    metric.results = list(zip(preds['scores'], preds['labels'],
                              preds['video_ids']))
    expected = metric.compute_metrics(metric.results)
    assert aucs['demo']['frame'] == round(expected['frame_auc'], 6)
    assert len(preds['scores']) == expected['num_frames']


@pytest.mark.slow
def test_plot_quality(qc_run, tmp_path, capsys):
    work = qc_run['work']
    printed = run_tool('tools/analysis/plot_quality.py', work, '--epoch', 1,
                       '--out-dir', tmp_path, capsys=capsys)
    assert_png(tmp_path / 'quality_epoch_1.png')
    assert_png(tmp_path / 'curriculum_timeline.png')
    # found through the config dumped into the work dir: the training
    # annotation's metainfo names the evaluator (scored_ann: SSIM)
    assert 'static scores: SSIM similarity' in printed
    first = quality_file(work, 1)
    per_method = Counter(first['samples']['method'])
    for method, count in per_method.items():
        assert f'{method} {count} fakes' in printed
    for epoch in range(1, EPOCHS + 1):
        data = quality_file(work, epoch)
        assert (f'epoch {epoch}: {data["num_hard"]} hard '
                f'({data["hard_fraction"]:.3f})') in printed
    # default epoch: the last one
    run_tool('tools/analysis/plot_quality.py', work, '--out-dir', tmp_path)
    assert_png(tmp_path / f'quality_epoch_{EPOCHS}.png')


@pytest.mark.slow
def test_plot_quality_histograms_count_the_fakes(qc_run, demo_root):
    from qcdet.visualization import (
        curriculum_timeline,
        load_quality_files,
        quality_histograms,
    )
    files = load_quality_files(str(qc_run['work']))
    train = json.loads(
        (demo_root / 'annotations' / 'train.json').read_text())['data_list']
    fakes = Counter(r['method'] for r in train if r['label'] == 1)
    data = quality_histograms(files[EPOCHS])
    assert {m: d['count'] for m, d in data.items()} == dict(fakes)
    assert {m: len(d['static']) for m, d in data.items()} == dict(fakes)
    timeline = curriculum_timeline(files)
    assert timeline['hard_fraction'].tolist() == [
        quality_file(qc_run['work'], e)['hard_fraction']
        for e in range(1, EPOCHS + 1)]


@pytest.mark.slow
def test_plot_training(qc_run, tmp_path, capsys):
    out = tmp_path / 'curves.png'
    printed = run_tool('tools/analysis/plot_training.py', qc_run['work'],
                       '--out', out, capsys=capsys)
    assert_png(out)
    for epoch in range(1, EPOCHS + 1):
        assert f'epoch {epoch}: loss=' in printed
    scalars = next(qc_run['work'].glob('*/vis_data/scalars.json'))
    val = [json.loads(line) for line in scalars.read_text().splitlines()
           if 'frame_auc' in line]
    assert f'frame_auc={val[-1]["frame_auc"]:.4f}' in printed


def test_freda_examples(demo_root, tmp_path, capsys):
    out = tmp_path / 'freda.png'
    printed = run_tool('tools/analysis/freda_examples.py',
                       demo_root / 'annotations' / 'train.json', '--num', 3,
                       '--radius', 0.2, '--out', out, capsys=capsys)
    assert_png(out)
    assert printed.startswith('3 fakes (')


def test_quality_report(demo_root, scored_ann, tmp_path, capsys):
    # one fake without a pair and one whose pair file is missing
    annotation = json.loads(scored_ann.read_text())
    fakes = [r for r in annotation['data_list'] if r['label'] == 1]
    fakes[0]['pair_path'] = None
    fakes[1]['pair_path'] = 'real/nowhere/000.png'
    ann = tmp_path / 'audit_static.json'
    ann.write_text(json.dumps(annotation))
    out_dir = tmp_path / 'report'
    printed = run_tool('tools/analysis/quality_report.py', ann,
                       '--data-root', demo_root, '--num-extremes', 4,
                       '--out-dir', out_dir, capsys=capsys)
    assert_png(out_dir / 'distribution.png')
    assert_png(out_dir / 'extremes.png')
    summary = json.loads((out_dir / 'summary.json').read_text())
    counts = Counter(r['method'] for r in fakes)
    assert {m: s['count'] for m, s in summary['per_method'].items()} == \
        dict(counts)
    assert summary['num_fakes'] == len(fakes)
    assert summary['unpaired']['no_pair']['per_method'] == {
        fakes[0]['method']: 1}
    assert summary['unpaired']['missing_pair']['count'] == 1
    scores = sorted(r['static_quality'] for r in fakes[2:])
    assert [r['static_quality'] for r in summary['extremes']['lowest']] == \
        scores[:4]
    method = fakes[2]['method']
    values = [r['static_quality'] for r in fakes if r['method'] == method]
    assert summary['per_method'][method]['mean'] == pytest.approx(
        np.mean(values))
    assert (out_dir / 'summary.md').read_text().count('| ') > 10
    assert 'Fakes without pair_path: 1' in printed


def test_quality_report_captions_name_video_and_method(scored_ann):
    from qcdet.visualization import (
        extreme_fakes,
        load_annotation_records,
        plot_contact_sheet,
    )
    extremes = extreme_fakes(load_annotation_records(str(scored_ann)), 3)
    fig, _ = plot_contact_sheet(extremes)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    shown = extremes['lowest'] + extremes['highest']
    assert len(titles) == len(shown)
    for title, record in zip(titles, shown):
        video = record['video_id'].rsplit('/', 1)[-1]  # demo/<method>/<id>
        assert video in title and record['method'] in title, title


def test_get_flops(capsys):
    printed = run_tool('tools/analysis/get_flops.py', 'configs/qc_demo.py',
                       '--shape', 64, 64, capsys=capsys)
    small = json.loads(printed.strip().splitlines()[-1])
    cfg = Config.fromfile('configs/qc_demo.py')
    model = MODELS.build(cfg.model)
    assert small['params'] == sum(p.numel() for p in model.parameters())
    assert f'params: {small["params"]}' in printed
    assert small['flops'] > 0
    assert 'WARNING: fvcore skipped' in printed  # hardswish & co.
    printed = run_tool('tools/analysis/get_flops.py', 'configs/qc_demo.py',
                       '--shape', 128, capsys=capsys)
    large = json.loads(printed.strip().splitlines()[-1])
    # convolutions dominate: 4x the pixels is about 4x the FLOPs
    assert 3.5 < large['flops'] / small['flops'] <= 4.0


def test_get_flops_at_the_configs_input_size(capsys):
    from qcdet.apis import crop_size_from_cfg
    size = crop_size_from_cfg(Config.fromfile('configs/qc_demo.py'))
    assert size == 64
    printed = run_tool('tools/analysis/get_flops.py', 'configs/qc_demo.py',
                       capsys=capsys)
    default = json.loads(printed.strip().splitlines()[-1])
    assert default['shape'] == [size, size]
    assert "(1, 3, 64, 64) (the config's test Resize)" in printed
    printed = run_tool('tools/analysis/get_flops.py', 'configs/qc_demo.py',
                       '--shape', 256, capsys=capsys)
    large = json.loads(printed.strip().splitlines()[-1])
    assert large['shape'] == [256, 256]
    assert default['flops'] < large['flops'] / 10  # 16x the pixels


@pytest.mark.parametrize('algorithm',
                         ['srm', 'spsl', 'f3net', 'core', 'recce', 'ucf'])
def test_get_flops_for_every_zoo_detector(algorithm, capsys):
    config = f'configs/{algorithm}/{algorithm}_mobilenetv3_1xb32_12e_demo.py'
    printed = run_tool('tools/analysis/get_flops.py', config, '--shape', 64,
                       64, capsys=capsys)
    result = json.loads(printed.strip().splitlines()[-1])
    model = MODELS.build(Config.fromfile(config).model)
    assert result['params'] == sum(p.numel() for p in model.parameters())
    assert result['flops'] > 0
