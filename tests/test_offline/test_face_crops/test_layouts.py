import json
from pathlib import Path

import pytest

from qcdet.offline.face_crops import build_layout


def touch(root, *paths):
    for rel in paths:
        path = Path(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')  # layouts only list files


def by_key(layout):
    return {it.key: it for it in layout.items()}


def test_ffpp_pairs_splits_and_masks(tmp_path):
    orig = 'original_sequences/youtube/c23/videos'
    man = 'manipulated_sequences'
    touch(tmp_path, f'{orig}/519.mp4', f'{orig}/004.mp4', f'{orig}/123.mp4',
          f'{orig}/../../c40/videos/519.mp4',
          f'{man}/Deepfakes/c23/videos/519_515.mp4',
          f'{man}/Deepfakes/masks/videos/519_515.mp4',
          f'{man}/Face2Face/c23/videos/750_743.mp4',
          f'{man}/NeuralTextures/c23/videos/004_982.mp4')
    splits = tmp_path / 'splits'
    splits.mkdir()
    (splits / 'train.json').write_text('[["519", "515"], ["750", "743"]]')
    (splits / 'val.json').write_text('[["004", "982"]]')
    (splits / 'test.json').write_text('[]')
    items = by_key(build_layout('ffpp', tmp_path))
    assert sorted(items) == ['Deepfakes/519_515', 'Face2Face/750_743',
                             'NeuralTextures/004_982', 'real/004',
                             'real/123', 'real/519']  # c40 not read
    df = items['Deepfakes/519_515']
    assert (df.label, df.split, df.pair_key) == (1, 'train', 'real/519')
    assert df.video_id == 'ffpp_c23/Deepfakes/519_515'
    assert df.mask_path.endswith('masks/videos/519_515.mp4')
    assert items['NeuralTextures/004_982'].split == 'val'
    assert items['NeuralTextures/004_982'].mask_path is None
    f2f = items['Face2Face/750_743']
    assert f2f.pair_key is None and "'750'" in f2f.pair_missing_reason
    unlisted = items['real/123']
    assert unlisted.split == 'train' and 'not in the official' in \
        unlisted.notes[0]


def test_celebdf_pairs_and_test_list(tmp_path):
    touch(tmp_path, 'Celeb-real/id0_0001.mp4', 'YouTube-real/00170.mp4',
          'Celeb-synthesis/id0_id3_0001.mp4',
          'Celeb-synthesis/id9_id3_0002.mp4')
    (tmp_path / 'List_of_testing_videos.txt').write_text(
        '1 YouTube-real/00170.mp4\n0 Celeb-synthesis/id0_id3_0001.mp4\n')
    items = by_key(build_layout('celebdf_v2', tmp_path))
    fake = items['Celeb-synthesis/id0_id3_0001']
    assert fake.pair_key == 'real/id0_0001' and fake.split == 'test'
    assert items['real/id0_0001'].split == 'train'
    assert items['real/00170'].split == 'test'
    assert items['Celeb-synthesis/id9_id3_0002'].pair_key is None
    assert build_layout('celebdf_v1', tmp_path).dataset == 'celebdf_v1'


def test_dfdc_metadata_original(tmp_path):
    touch(tmp_path, 'part/aaa.mp4', 'part/bbb.mp4', 'part/ccc.mp4')
    (tmp_path / 'part' / 'metadata.json').write_text(json.dumps({
        'aaa.mp4': {'label': 'REAL', 'split': 'train'},
        'bbb.mp4': {'label': 'FAKE', 'split': 'train',
                    'original': 'aaa.mp4'},
        'ccc.mp4': {'label': 'FAKE', 'split': 'train',
                    'original': 'zzz.mp4'},
        'notdownloaded.mp4': {'label': 'REAL', 'split': 'train'}}))
    items = by_key(build_layout('dfdc', tmp_path))
    assert sorted(items) == ['DFDC/bbb', 'DFDC/ccc', 'real/aaa']
    assert items['DFDC/bbb'].pair_key == 'real/aaa'
    assert items['DFDC/ccc'].pair_key is None
    assert {it.split for it in items.values()} == {'test'}


def test_dfdc_bad_label_names_the_file(tmp_path):
    touch(tmp_path, 'x.mp4')
    (tmp_path / 'metadata.json').write_text('{"x.mp4": {"label": "maybe"}}')
    with pytest.raises(ValueError, match='metadata.json'):
        build_layout('dfdc', tmp_path).items()


def test_dfd_uadfv_dfdcp_pairing(tmp_path):
    dfd = tmp_path / 'dfd'
    touch(dfd, 'original_sequences/actors/c23/videos/01__exit_room.mp4',
          'manipulated_sequences/DeepFakeDetection/c23/videos/'
          '01_02__exit_room__ABCD1234.mp4')
    items = by_key(build_layout('dfd', dfd))
    fake = items['DeepFakeDetection/01_02__exit_room__ABCD1234']
    assert fake.pair_key == 'real/01__exit_room' and fake.split == 'test'

    uadfv = tmp_path / 'uadfv'
    touch(uadfv, 'real/0001.mp4', 'fake/0001_fake.mp4')
    assert by_key(build_layout('uadfv', uadfv))['UADFV/0001_fake'] \
        .pair_key == 'real/0001'

    dfdcp = tmp_path / 'dfdcp'
    touch(dfdcp, 'original_videos/1/1_A_001.mp4', 'method_A/1/2/1_A_001.mp4')
    (dfdcp / 'dataset.json').write_text(json.dumps({
        'original_videos/1/1_A_001.mp4': {'label': 'real', 'set': 'test'},
        'method_A/1/2/1_A_001.mp4': {'label': 'fake', 'set': 'test'}}))
    items = by_key(build_layout('dfdcp', dfdcp))
    assert items['method_A/1__2__1_A_001'].pair_key == 'real/1_A_001'


def test_folder_layout_splits_methods_and_pairs(tmp_path):
    touch(tmp_path, 'train/real/a.mp4', 'train/fake/swap/a.mp4',
          'test/real/b.mp4', 'test/fake/c.mp4')
    (tmp_path / 'pairs.json').write_text('{"c": "b"}')
    items = by_key(build_layout('folder', tmp_path))
    assert items['swap/a'].pair_key == 'real/a'
    assert items['swap/a'].split == 'train'
    assert items['fake/c'].pair_key == 'real/b'
    assert items['fake/c'].split == 'test'


def test_empty_root_and_unknown_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match='no videos found'):
        build_layout('uadfv', tmp_path).items()
    with pytest.raises(FileNotFoundError, match='not found'):
        build_layout('ffpp', tmp_path / 'absent')
    with pytest.raises(ValueError, match='unknown dataset layout'):
        build_layout('faceforensics', tmp_path)
