import json

import cv2
import numpy as np
import pytest

from qcdet.datasets import DeepfakeDataset
from qcdet.datasets.deepfakebench import parse_deepfakebench_index
from qcdet.offline.face_crops import (
    build_layout,
    group_videos,
    preprocess_dataset,
    runner,
)

# The synthetic faces are drawn for dlib's HOG detector; the default
# detector is tested on DFDC-style footage (test_dfdc_footage.py).
RUN = dict(num_frames=4, size=128, detector='dlib', progress=False)


@pytest.fixture(scope='module')
def first_run(ffpp_root, tmp_path_factory):
    out = tmp_path_factory.mktemp('ffpp_out')
    summary = preprocess_dataset(build_layout('ffpp', ffpp_root), str(out),
                                 **RUN)
    return out, summary


def load(path):
    with open(path) as f:
        return json.load(f)


def test_failures_are_counted_and_the_rest_completes(first_run):
    out, summary = first_run
    assert summary['videos'] == 5 and summary['done'] == 3
    assert summary['failed'] == 2
    assert summary['failures']['real/001'].startswith('no face: ')
    assert summary['failures']['real/002'].startswith('unreadable video: ')
    assert '002.mp4' in summary['failures']['real/002']
    assert summary['failure_counts'] == {'no face': 1, 'unreadable video': 1}
    # 3 done videos x 4 frames with a face; the faceless video's 4 not
    assert (summary['frames_with_face'], summary['frames_sampled']) == (12, 16)
    assert load(out / 'summary.json') == summary
    assert not list(out.rglob('*.tmp*'))


def test_fakes_pair_with_the_same_frame_of_their_real(first_run):
    out, summary = first_run
    train = load(out / 'annotations' / 'train.json')
    assert train['metainfo']['dataset'] == 'ffpp_c23'
    recs = {(r['video_id'], r['frame_idx']): r for r in train['data_list']}
    fakes = [r for r in train['data_list']
             if r['video_id'] == 'ffpp_c23/Deepfakes/000_001']
    assert [r['frame_idx'] for r in fakes] == [0, 2, 3, 5]
    for fake in fakes:
        real = recs[('ffpp_c23/real/000', fake['frame_idx'])]
        assert fake['pair_path'] == real['img_path']
        assert (out / fake['mask_path']).is_file()
        assert np.load(out / fake['landmarks_path']).shape == (5, 2)
    unpaired = [r for r in train['data_list'] if r['method'] == 'Face2Face']
    assert unpaired and all(r['pair_path'] is None and "'005'" in
                            r['pair_missing_reason'] for r in unpaired)
    assert summary['unpaired_fakes'] == {
        'Face2Face/005_006': unpaired[0]['pair_missing_reason']}
    # val (002, 003) only had the corrupt video; test is empty
    assert load(out / 'annotations' / 'val.json')['data_list'] == []


def test_pair_crops_differ_inside_the_face_not_outside(first_run):
    out, _ = first_run
    train = load(out / 'annotations' / 'train.json')['data_list']
    for fake in (r for r in train if r['method'] == 'Deepfakes'):
        a = cv2.imread(str(out / fake['img_path'])).astype(float)
        b = cv2.imread(str(out / fake['pair_path'])).astype(float)
        inside = cv2.imread(str(out / fake['mask_path']), 0) > 127
        diff = np.abs(a - b).mean(axis=2)
        assert inside.sum() > 200 and (~inside).sum() > 200
        assert diff[inside].mean() > 5 * diff[~inside].mean() + 5


def test_annotation_files_load(first_run):
    out, _ = first_run
    ds = DeepfakeDataset('annotations/train.json', data_root=str(out),
                         serialize_data=False)
    assert len(ds) == 12 and ds.get_labels().sum() == 8
    info = next(ds.get_data_info(i) for i in range(len(ds))
                if ds.get_data_info(i)['method'] == 'Deepfakes')
    assert cv2.imread(info['pair_path']).shape == (128, 128, 3)
    index = load(out / 'deepfakebench' / 'FaceForensics++.json')
    records = parse_deepfakebench_index(index, split='train')
    paired = [r for r in records if r['method'] == 'Deepfakes']
    assert len(paired) == 4 and all(r['pair_path'] for r in paired)


def test_second_run_skips_finished_videos(first_run, ffpp_root):
    out, first = first_run
    crop = out / 'crops' / 'real' / '000' / '0000.png'
    before = crop.stat().st_mtime_ns
    again = preprocess_dataset(build_layout('ffpp', ffpp_root), str(out),
                               **RUN)
    assert again['skipped_already_done'] == 3
    assert again['processed_now'] == 2  # only the two failures retried
    assert crop.stat().st_mtime_ns == before
    assert again['annotation_frames'] == first['annotation_frames']


def test_interrupted_run_resumes(ffpp_root, first_run, tmp_path,
                                 monkeypatch):
    out = tmp_path / 'out'
    layout = build_layout('ffpp', ffpp_root)
    assert len(group_videos(layout.items())) == 4
    real_process = runner.process_group
    calls = []

    def interrupt_on_second_group(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_process(*args, **kwargs)

    monkeypatch.setattr(runner, 'process_group', interrupt_on_second_group)
    with pytest.raises(KeyboardInterrupt):
        preprocess_dataset(layout, str(out), **RUN)
    assert not (out / 'annotations').exists()
    assert sorted(p.stem for p in (out / 'done').rglob('*.json')) == \
        ['000', '000_001']
    monkeypatch.setattr(runner, 'process_group', real_process)
    resumed = preprocess_dataset(layout, str(out), **RUN)
    assert resumed['skipped_already_done'] == 2
    assert resumed['done'] == 3 and resumed['failed'] == 2
    full = load(first_run[0] / 'annotations' / 'train.json')
    assert load(out / 'annotations' / 'train.json') == full


def test_an_unexpected_error_fails_only_its_group(ffpp_root, tmp_path,
                                                  monkeypatch):
    real_process = runner.process_group

    def broken_for_000(real, *args, **kwargs):
        if real is not None and real.name == '000':
            raise OSError('disk full')
        return real_process(real, *args, **kwargs)

    monkeypatch.setattr(runner, 'process_group', broken_for_000)
    summary = preprocess_dataset(build_layout('ffpp', ffpp_root),
                                 str(tmp_path), **RUN)
    assert summary['failure_counts'] == {'error': 2, 'no face': 1,
                                         'unreadable video': 1}
    assert summary['failures']['Deepfakes/000_001'] == \
        'error: OSError: disk full'
    assert summary['done'] == 1  # Face2Face/005_006 still made
