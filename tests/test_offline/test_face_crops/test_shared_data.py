"""The pipeline on real FF++ c23 and DFDC clips from ../shared/data (read in
place; skipped where absent), and tools/data/preprocess.py with its default
flags on DFDC-style footage built from them."""
import importlib.util
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import dfdc_footage
from qcdet.faces import FaceDetection
from qcdet.offline.face_crops import build_layout, preprocess_dataset

SIZE = 128
REPO = Path(__file__).resolve().parents[3]


def shared(relative):
    env = os.environ.get('QCDET_SHARED_DATA')
    base = Path(env) if env else \
        Path(__file__).resolve().parents[3] / '..' / 'shared' / 'data'
    path = base / relative
    if not path.exists():
        pytest.skip(f'shared data absent: {path}')
    return path


@pytest.fixture(scope='module')
def ffpp_run(tmp_path_factory):
    root = shared('icpr2020dfdc/ffpp')
    splits = shared('faceforensics-examples/splits')
    out = tmp_path_factory.mktemp('ffpp_c23')
    layout = build_layout('ffpp', root, splits_dir=splits)
    summary = preprocess_dataset(layout, str(out), num_frames=2, size=SIZE,
                                 progress=False)
    records = []
    for split in ('train', 'val', 'test'):
        with open(out / 'annotations' / f'{split}.json') as f:
            records += [dict(r, split=split)
                        for r in json.load(f)['data_list']]
    return out, summary, records


def test_ffpp_every_video_cropped_and_paired(ffpp_run):
    out, summary, records = ffpp_run
    assert summary['videos'] == 7 and summary['failed'] == 0
    assert summary['face_found_rate'] >= 0.95
    pair_of = {r['video_id']: r.get('pair_path') for r in records}
    assert pair_of['ffpp_c23/Deepfakes/519_515'].startswith('crops/real/519/')
    assert pair_of['ffpp_c23/FaceSwap/634_660'].startswith('crops/real/634/')
    assert pair_of['ffpp_c23/NeuralTextures/004_982'].startswith(
        'crops/real/004/')
    assert pair_of['ffpp_c23/Face2Face/750_743'] is None
    assert list(summary['unpaired_fakes']) == ['Face2Face/750_743']
    # official split lists: 519/515 train, 004/982 val, 634/660 test
    split_of = {r['video_id']: r['split'] for r in records}
    assert split_of['ffpp_c23/Deepfakes/519_515'] == 'train'
    assert split_of['ffpp_c23/real/004'] == 'val'
    assert split_of['ffpp_c23/FaceSwap/634_660'] == 'test'


def face_and_border(landmarks):
    """A disc around the 5 landmarks, and the crop's outer border."""
    centre = landmarks.mean(axis=0)
    radius = 1.2 * np.linalg.norm(landmarks - centre, axis=1).max()
    yy, xx = np.mgrid[:SIZE, :SIZE]
    face = np.hypot(xx - centre[0], yy - centre[1]) < radius
    border = np.ones((SIZE, SIZE), bool)
    border[16:-16, 16:-16] = False
    return face, border & ~face


def test_ffpp_pairs_are_pixel_aligned(ffpp_run):
    """A fake differs from its real inside the face, hardly outside it."""
    out, _, records = ffpp_run
    fakes = [r for r in records if r.get('pair_path')]
    assert len(fakes) == 6
    for fake in fakes:
        a = cv2.imread(str(out / fake['img_path'])).astype(float)
        b = cv2.imread(str(out / fake['pair_path'])).astype(float)
        face, border = face_and_border(np.load(out / fake['landmarks_path']))
        diff = np.abs(a - b).mean(axis=2)
        inside, outside = diff[face].mean(), diff[border].mean()
        assert inside > outside, (fake['img_path'], inside, outside)
        if fake['method'] in ('Deepfakes', 'FaceSwap'):  # whole-face swaps
            assert inside > 3 * outside, (fake['img_path'], inside, outside)


def test_dfdc_video_with_its_metadata(tmp_path):
    root = shared('cvit-dfdc-faces/videos')
    summary = preprocess_dataset(build_layout('dfdc', root), str(tmp_path),
                                 num_frames=2, size=SIZE, progress=False)
    assert summary['done'] == 1 and summary['face_found_rate'] == 1.0
    with open(tmp_path / 'annotations' / 'test.json') as f:
        records = json.load(f)['data_list']
    assert [r['video_id'] for r in records] == ['dfdc/real/knqhpwoigk'] * 2
    assert records[0]['label'] == 0
    assert (tmp_path / 'deepfakebench' / 'DFDC.json').is_file()


@pytest.fixture(scope='module')
def dfdc_style_part(tmp_path_factory):
    """24 pasted DFDC faces and 10 dim portrait frames of the DFDC clip,
    as a DFDC training part (videos + metadata.json) in a temporary
    folder."""
    shared(dfdc_footage.DFDC_CLIP)
    data = shared('cvit-dfdc-faces').parent
    root = tmp_path_factory.mktemp('dfdc_style')
    footage = dfdc_footage.write_dfdc_part(
        data, root / 'dfdc_train_part_0', num_faces=24,
        clip_indices=range(0, 300, 30))
    return root, footage


def test_preprocess_defaults_find_dfdc_style_faces(dfdc_style_part,
                                                    tmp_path):
    root, footage = dfdc_style_part
    spec = importlib.util.spec_from_file_location(
        'preprocess_tool', REPO / 'tools' / 'data' / 'preprocess.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(['--dataset', 'dfdc', '--root', str(root), '--out',
                      str(tmp_path), '--no-progress']) == 0
    with open(tmp_path / 'summary.json') as f:
        summary = json.load(f)
    assert summary['detector'] == 'cascade' and summary['done'] == 2
    assert summary['frames_sampled'] == 24 + 10  # all: fewer than 32
    assert summary['face_found_rate'] >= 0.98, summary
    # the faces found are the pasted ones
    with open(tmp_path / 'done' / 'real' / 'pasted_faces.json') as f:
        faces = json.load(f)['faces']
    for index, box in enumerate(footage['pasted_boxes']):
        if str(index) in faces:
            assert dfdc_footage.finds_the_face(
                FaceDetection(np.array(faces[str(index)]['box']), 1.0),
                box), index
