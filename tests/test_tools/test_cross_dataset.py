"""Cross-dataset testing through tools/test.py --datasets."""
import csv
import json
import math
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from qcdet.evaluation import (
    equal_error_rate,
    format_results_table,
    resolve_test_set,
    results_table,
)


@pytest.fixture(scope='module')
def checkpoint(demo_root, tmp_path_factory, cli):
    work = tmp_path_factory.mktemp('cross_train')
    cli.train('configs/baseline_demo.py', work, demo_root,
              **{'train_cfg.max_epochs': 1})
    return work / 'epoch_1.pth'


def expected_metrics(preds):
    """The table's numbers straight from dumped per-frame predictions."""
    scores = np.array([float(p['pred_score'][1]) for p in preds])
    labels = np.array([int(p['gt_label'][0]) for p in preds])
    videos = {}
    for p, score in zip(preds, scores):
        videos.setdefault(p['video_id'], []).append(score)
    video_label = {p['video_id']: int(p['gt_label'][0]) for p in preds}
    names = sorted(videos)
    return dict(
        frame_auc=roc_auc_score(labels, scores),
        video_auc=roc_auc_score([video_label[v] for v in names],
                                [np.mean(videos[v]) for v in names]),
        eer=equal_error_rate(labels, scores),
        ap=average_precision_score(labels, scores),
        acc=float(((scores > 0.5) == labels).mean()),
        num_frames=len(preds), num_videos=len(names))


@pytest.mark.slow
def test_two_test_sets_on_two_processes(demo_root, checkpoint, tmp_path,
                                        cli):
    """Demo test and val splits as annotation files, tested by 2 CPU
    processes: every frame is scored exactly once and the saved table equals
    sklearn on the dumped predictions."""
    ann = demo_root / 'annotations'
    out = cli.run([
        'bash', 'tools/dist_test.sh', 'configs/baseline_demo.py',
        str(checkpoint), '2', '--work-dir', str(tmp_path), '--out',
        str(tmp_path / 'preds.pkl'), '--datasets', str(ann / 'test.json'),
        str(ann / 'val.json'), *cli.cfg_options(demo_root)
    ], PORT=str(30500 + os.getpid() % 1000))
    assert 'GPU number: 2' in out
    name = demo_root.name
    sets = {f'{name}/test': 'test', f'{name}/val': 'val'}
    table = out[out.rindex('dataset  '):]
    assert [line.split()[0] for line in table.splitlines()
            if line.split()[0] in (*sets, 'average')] == [*sets, 'average']

    saved = json.loads((tmp_path / 'cross_dataset.json').read_text())
    assert list(saved['datasets']) == list(sets)
    with open(tmp_path / 'cross_dataset.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['dataset'] for r in rows] == [*sets, 'average']

    for row_idx, (set_name, split) in enumerate(sets.items()):
        with open(tmp_path / f'preds_{name}_{split}.pkl', 'rb') as f:
            preds = pickle.load(f)
        frames = json.loads((ann / f'{split}.json').read_text())['data_list']
        # every frame scored exactly once across the two processes
        assert sorted(p['img_path'] for p in preds) == sorted(
            str(demo_root / r['img_path']) for r in frames)
        expected = expected_metrics(preds)
        assert expected['num_videos'] == len({r['video_id'] for r in frames})
        for key, value in expected.items():
            assert saved['datasets'][set_name][key] == pytest.approx(value)
            assert float(rows[row_idx][key]) == pytest.approx(value)
    for key in ('frame_auc', 'video_auc', 'eer', 'ap', 'acc'):
        mean = np.mean([saved['datasets'][s][key] for s in sets])
        assert saved['average'][key] == pytest.approx(mean)
        assert float(rows[-1][key]) == pytest.approx(mean)


def test_named_config_with_data_root(demo_root):
    test_set = resolve_test_set(f'celebdf_v2={demo_root}')
    assert test_set.name == 'celebdf_v2'
    assert test_set.dataset['data_root'] == str(demo_root)
    assert test_set.dataset['ann_file'] == 'annotations/test.json'
    assert 'pipeline' not in test_set.dataset


def test_unknown_name_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match='no_such_set'):
        resolve_test_set('no_such_set')


def test_average_skips_undefined_metrics():
    table = results_table({
        'a': dict(frame_auc=0.8, video_auc=0.9, eer=0.2, ap=0.7, acc=0.6,
                  num_frames=10, num_videos=2),
        'b': dict(frame_auc=math.nan, video_auc=0.5, eer=0.4, ap=0.3,
                  acc=0.4, num_frames=5, num_videos=1),
    })
    assert table['average']['frame_auc'] == pytest.approx(0.8)
    assert table['average']['video_auc'] == pytest.approx(0.7)
    text = format_results_table(table)
    assert text.splitlines()[-1].split()[:3] == ['average', '0.8000',
                                                 '0.7000']


@pytest.mark.slow
def test_empty_and_missing_sets_get_a_row_and_the_rest_is_tested(
        demo_root, checkpoint, tmp_path, cli):
    """A test split left empty by preprocessing and a set not on this
    machine are reported in the table with the reason; the others are
    tested."""
    empty = tmp_path / 'empty' / 'annotations' / 'test.json'
    empty.parent.mkdir(parents=True)
    empty.write_text(json.dumps(dict(metainfo={}, data_list=[])))
    good = demo_root / 'annotations' / 'test.json'
    out = cli.run([
        cli.python, 'tools/test.py', 'configs/baseline_demo.py',
        str(checkpoint), '--work-dir', str(tmp_path / 'work'),
        '--datasets', str(empty), f'celebdf_v2={tmp_path / "absent"}',
        str(good), *cli.cfg_options(demo_root)])
    assert f'empty/test: not tested: {empty} has no records' in out
    assert 'celebdf_v2: not tested: Annotation file not found: ' \
        f'{tmp_path / "absent" / "annotations" / "test.json"}' in out
    saved = json.loads((tmp_path / 'work' / 'cross_dataset.json')
                       .read_text())['datasets']
    assert saved['empty/test']['frame_auc'] is None
    assert 'has no records' in saved['empty/test']['not_tested']
    tested = saved[f'{demo_root.name}/test']
    assert 'not_tested' not in tested and 0 <= tested['frame_auc'] <= 1


@pytest.mark.slow
def test_no_set_testable_is_an_error(demo_root, checkpoint, tmp_path, cli):
    import subprocess
    import sys
    result = subprocess.run(
        [sys.executable, 'tools/test.py', 'configs/baseline_demo.py',
         str(checkpoint), '--work-dir', str(tmp_path), '--datasets',
         f'celebdf_v2={tmp_path / "absent"}', *cli.cfg_options(demo_root)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 1
    assert 'none of the test sets could be tested' in result.stderr
