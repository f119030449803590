"""What a newcomer meets in the first hour: a QC checkpoint tested where only
the test set is, mistakes reported in one line before anything loads, one
bad frame not ending a test, and tools that say when nothing was scored."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def run_tool(*args, timeout=600):
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def one_line_error(result, *fragments):
    """Exit 1 with one ``ERROR:`` line on stderr, no traceback."""
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    assert 'Traceback' not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('ERROR: '), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope='module')
def checkpoint(demo_root, tmp_path_factory, cli):
    work = tmp_path_factory.mktemp('first_hour_train')
    cli.train('configs/baseline_demo.py', work, demo_root,
              **{'train_cfg.max_epochs': 1})
    return work / 'epoch_1.pth'


def copy_test_set(demo_root, out, drop_frame=None):
    """``out/annotations/test.json`` with absolute frame paths: a machine
    with the test set only (no train or val annotation). ``drop_frame``: the
    index of a record whose frame is missing."""
    ann = json.loads((demo_root / 'annotations' / 'test.json').read_text())
    for i, record in enumerate(ann['data_list']):
        record['img_path'] = str(demo_root / record['img_path'])
        record.pop('pair_path', None)
        if i == drop_frame:
            record['img_path'] = str(out / 'missing' / 'frame.png')
    path = out / 'annotations' / 'test.json'
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(ann))
    return path, len(ann['data_list'])


# ------------------------------------------------------------ found item 1
@pytest.mark.slow
def test_qc_checkpoint_tests_with_only_the_test_annotation(
        demo_root, checkpoint, tmp_path, cli):
    """QualityScoreHook used to build the train loader in a test run
    (``Annotation file not found: .../train_static.json``)."""
    root = tmp_path / 'test_only'
    copy_test_set(demo_root, root)
    opts = cli.cfg_options(root)
    out = cli.run([cli.python, 'tools/test.py', 'configs/qc_demo.py',
                   str(checkpoint), '--work-dir', str(tmp_path / 'w'),
                   *opts])
    metrics = cli.last_json(out)
    auc = [v for k, v in metrics.items() if k.endswith('frame_auc')]
    assert len(auc) == 1 and 0 <= auc[0] <= 1, metrics
    assert not (root / 'annotations' / 'train_static.json').exists()


# ------------------------------------------------------------ found item 2
def test_misspelt_config_names_the_closest():
    one_line_error(run_tool('tools/train.py', 'configs/qc_dmeo.py'),
                   'config file not found: configs/qc_dmeo.py',
                   'did you mean configs/qc_demo.py?')


def test_missing_checkpoint_before_the_model_loads(tmp_path):
    one_line_error(run_tool('tools/test.py', 'configs/qc_demo.py',
                            tmp_path / 'epoch_12.pth'),
                   'checkpoint not found', 'tools/train.py')


@pytest.mark.parametrize('option, fragments', [
    ('train_cfg.max_epochs', ['has no "="']),
    ('train_cfg.max_epcohs=1',
     ["train_cfg has no key 'max_epcohs'",
      'did you mean train_cfg.max_epochs?', '+train_cfg.max_epcohs=1']),
    ('train_cfgg.max_epochs=1',
     ["the config has no key 'train_cfgg'", 'did you mean train_cfg?']),
    ('train_dataloader.dataset.pipeline.99.type=X',
     ['is a list of', "'99' is not an index"]),
])
def test_cfg_options_keys_are_checked(option, fragments):
    one_line_error(run_tool('tools/misc/print_config.py', 'configs/qc_demo.py',
                            '--cfg-options', option), *fragments)


def test_cfg_options_may_name_the_type_of_any_built_dict():
    result = run_tool('tools/misc/print_config.py', 'configs/qc_demo.py',
                      '--cfg-options', 'optim_wrapper.type=OptimWrapper')
    assert result.returncode == 0, result.stderr
    assert "type='OptimWrapper'" in result.stdout


def test_cfg_options_plus_adds_a_key_on_purpose():
    result = run_tool('tools/misc/print_config.py', 'configs/qc_demo.py',
                      '--cfg-options', '+train_cfg.my_note=7',
                      'train_cfg.max_epochs=3')
    assert result.returncode == 0, result.stderr
    assert 'my_note=7' in result.stdout and 'max_epochs=3' in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize('config, ann, command', [
    ('configs/qc_demo.py', 'train_static.json',
     'tools/quality/score_static.py'),
    ('configs/baseline_demo.py', 'train.json', 'tools/data/make_demo_data.py'),
    ('configs/baseline_xception_ffpp.py', 'train.json',
     'tools/data/preprocess.py'),
])
def test_missing_data_names_the_command_that_makes_it(tmp_path, config, ann,
                                                      command):
    data_root = tmp_path / ('demo' if 'demo' in config else 'ffpp_c23')
    result = run_tool('tools/train.py', config, '--work-dir', tmp_path / 'w',
                      '--cfg-options',
                      f'train_dataloader.dataset.data_root={data_root}',
                      'optim_wrapper.type=OptimWrapper')
    one_line_error(result, 'train_dataloader: annotation file not found',
                   ann, command)


# ------------------------------------------------------------ found item 3
def write_frames(folder, n, corrupt=None, missing=None):
    folder.mkdir(parents=True)
    records = []
    for i in range(n):
        path = folder / f'{i:03d}.png'
        if i == corrupt:
            path.write_bytes(b'not a png')
        elif i != missing:
            cv2.imwrite(str(path), np.full((16, 16, 3), 40 * i, np.uint8))
        records.append(dict(img_path=path.name, label=i % 2,
                            video_id=f'v{i}'))
    return records


@pytest.mark.slow
def test_verify_dataset_lists_missing_and_corrupt_frames(tmp_path):
    records = write_frames(tmp_path / 'set', 4, corrupt=1, missing=2)
    ann = tmp_path / 'set' / 'ann.json'
    ann.write_text(json.dumps(dict(metainfo={}, data_list=records)))
    out_file = tmp_path / 'bad.txt'
    result = run_tool('tools/misc/verify_dataset.py', ann, '--out-file',
                      out_file)
    assert result.returncode == 1, result.stderr
    listed = out_file.read_text().splitlines()
    assert [Path(line.split('\t')[0]).name for line in listed] == \
        ['001.png', '002.png']
    assert 'Cannot decode' in listed[0] and 'not found' in listed[1]
    assert '2 of 4 frame file(s) cannot be read' in result.stdout
    records = write_frames(tmp_path / 'good', 3)
    ann = tmp_path / 'good' / 'ann.json'
    ann.write_text(json.dumps(dict(metainfo={}, data_list=records)))
    assert run_tool('tools/misc/verify_dataset.py', ann).returncode == 0


def test_dataset_skips_unreadable_frames_and_counts_them(tmp_path):
    from qcdet.datasets import DeepfakeDataset
    records = write_frames(tmp_path / 'set', 5, corrupt=0, missing=3)
    ann = tmp_path / 'set' / 'ann.json'
    ann.write_text(json.dumps(dict(metainfo={}, data_list=records)))
    kwargs = dict(ann_file=str(ann), data_root=str(tmp_path / 'set'),
                  pipeline=[dict(type='LoadFrame')], test_mode=True)
    dataset = DeepfakeDataset(skip_unreadable=True, **kwargs)
    assert len(dataset) == 3
    assert [f.index for f in dataset.skipped_frames] == [0, 3]
    assert all(dataset[i]['img'].shape == (16, 16, 3) for i in range(3))
    assert len(DeepfakeDataset(**kwargs)) == 5  # off by default


@pytest.mark.slow
def test_a_missing_frame_does_not_end_a_multi_set_test(
        demo_root, checkpoint, tmp_path, cli):
    first, n = copy_test_set(demo_root, tmp_path / 'first', drop_frame=0)
    second, _ = copy_test_set(demo_root, tmp_path / 'second')
    out = cli.run([cli.python, 'tools/test.py', 'configs/baseline_demo.py',
                   str(checkpoint), '--work-dir', str(tmp_path / 'w'),
                   '--datasets', str(first), str(second),
                   *cli.cfg_options(demo_root)])
    assert 'first/test: 1 unreadable frame(s) skipped' in out
    saved = json.loads((tmp_path / 'w' / 'cross_dataset.json')
                       .read_text())['datasets']
    assert saved['first/test']['skipped_frames'] == 1
    assert saved['first/test']['num_frames'] == n - 1
    assert saved['second/test']['skipped_frames'] == 0
    assert saved['second/test']['num_frames'] == n
    assert all(0 <= row['frame_auc'] <= 1 for row in saved.values())


def test_datasets_lists_only_test_sets():
    from qcdet.evaluation import resolve_test_set
    with pytest.raises(FileNotFoundError) as error:
        resolve_test_set('deepfake_pipelines')
    message = str(error.value)
    assert "'celebdf_v2'" in message and "'ffpp_c23'" in message
    assert 'cross_dataset_test' not in message.split('known:')[1]
    assert 'deepfake_pipelines' not in message.split('known:')[1]


@pytest.mark.slow
def test_infer_exits_non_zero_when_nothing_was_scored(checkpoint, tmp_path):
    junk = tmp_path / 'notes.mp4'
    junk.write_text('not a video')
    result = run_tool('tools/infer.py', 'configs/baseline_demo.py',
                      checkpoint, junk, '--device', 'cpu')
    assert result.returncode == 1
    records, _ = json.JSONDecoder().raw_decode(
        result.stdout[result.stdout.index('[\n'):])
    assert records[0]['score'] is None
    assert 'none of the 1 input(s) could be scored' in result.stderr
    missing = run_tool('tools/infer.py', 'configs/baseline_demo.py',
                       checkpoint, tmp_path / 'absent.png')
    one_line_error(missing, 'input not found')
