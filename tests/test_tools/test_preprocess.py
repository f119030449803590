"""tools/data/preprocess.py and tools/data/import_deepfakebench.py end to
end on small generated videos."""
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


videos = load_module(REPO / 'tests' / 'test_offline' / 'test_face_crops'
                     / 'preprocess_videos.py', 'preprocess_videos_for_cli')


@pytest.fixture(scope='module')
def folder_dataset(tmp_path_factory):
    """``folder`` layout: one real, its face-swap fake, a corrupt video."""
    root = tmp_path_factory.mktemp('raw')
    real, masks = videos.face_clip(seed=1, num_frames=5)
    fake, _ = videos.face_swap(real, masks, donor_seed=2)
    videos.write_video(root / 'train' / 'real' / 'clip1.avi', real)
    videos.write_video(root / 'train' / 'fake' / 'swap' / 'clip1.avi', fake)
    videos.write_corrupt(root / 'train' / 'real' / 'broken.mp4')
    return root


def test_cli_options():
    tool = load_module(REPO / 'tools' / 'data' / 'preprocess.py',
                       'preprocess_tool')
    args = tool.parse_args(['--dataset', 'ffpp', '--root', 'r', '--out',
                            'o'])
    assert (args.num_frames, args.size, args.margin, args.detector,
            args.workers, args.compression) == (32, 256, 1.3, 'cascade',
                                                1, 'c23')
    for detector in ('dlib', 'retinaface'):  # the older choices still work
        assert tool.parse_args(['--dataset', 'ffpp', '--root', 'r', '--out',
                                'o', '--detector', detector]
                               ).detector == detector
    with pytest.raises(SystemExit):
        tool.parse_args(['--dataset', 'kaggle', '--root', 'r', '--out', 'o'])
    with pytest.raises(SystemExit):
        tool.parse_args(['--dataset', 'dfd', '--root', 'r', '--out', 'o',
                         '--detector', 'mtcnn'])


def test_preprocess_then_import_deepfakebench(cli, folder_dataset,
                                              tmp_path):
    out = tmp_path / 'folder_out'
    log = cli.run([cli.python, 'tools/data/preprocess.py', '--dataset',
                   'folder', '--root', str(folder_dataset), '--out',
                   str(out), '--num-frames', '3', '--size', '128',
                   '--workers', '2', '--no-progress'])
    assert 'failed: 1' in log and 'FAILED real/broken: unreadable' in log
    assert 'fakes paired: 1/1 videos, 3/3 frames' in log
    with open(out / 'annotations' / 'train.json') as f:
        train = json.load(f)['data_list']
    assert len(train) == 6
    fake = next(r for r in train if r['label'] == 1)
    assert fake['video_id'] == 'folder/swap/clip1'
    assert fake['pair_path'] == fake['img_path'].replace('swap', 'real')
    assert (out / fake['pair_path']).is_file()

    # the DeepfakeBench index it wrote converts back, pairs recovered by
    # frame name (the folder layout's fake keeps its real's name)
    tool = load_module(REPO / 'tools' / 'data' / 'import_deepfakebench.py',
                       'import_dfb_tool')
    imported = tmp_path / 'imported'
    assert tool.main([str(out / 'deepfakebench' / 'Folder.json'), '--out',
                      str(imported), '--frames-root', str(out),
                      '--check-files']) == 0
    with open(imported / 'annotations' / 'train.json') as f:
        again = json.load(f)['data_list']
    assert sorted(r['img_path'] for r in again) == sorted(
        str(out / r['img_path']) for r in train)  # outside --out: absolute
    assert not (imported / 'annotations' / 'val.json').exists()


def test_import_deepfakebench_recovers_ffpp_pairs(tmp_path):
    frames = tmp_path / 'rgb'
    index = {'FaceForensics++': {
        'FF-real': {'test': {'c23': {'004': {'label': 'FF-real', 'frames': [
            'ff/real/004/000.png', 'ff/real/004/010.png']}}}},
        'FF-DF': {'test': {'c23': {
            '004_982': {'label': 'FF-DF', 'frames': [
                'ff/df/004_982/000.png', 'ff/df/004_982/010.png']},
            '750_743': {'label': 'FF-DF', 'frames': [
                'ff/df/750_743/000.png']}}}}}}
    path = tmp_path / 'FaceForensics++.json'
    path.write_text(json.dumps(index))
    for rel in ('ff/real/004/000.png', 'ff/df/004_982/000.png',
                'ff/df/004_982/010.png', 'ff/df/750_743/000.png'):
        (frames / rel).parent.mkdir(parents=True, exist_ok=True)
        (frames / rel).write_bytes(b'png')
    tool = load_module(REPO / 'tools' / 'data' / 'import_deepfakebench.py',
                       'import_dfb_tool2')
    summary = tool.convert(str(path), str(frames), frames_root=str(frames),
                           check_files=True)
    assert summary == {'test': dict(frames=4, missing_files=1, fakes=3,
                                    fakes_paired=1)}
    with open(frames / 'annotations' / 'test.json') as f:
        records = {r['img_path']: r for r in json.load(f)['data_list']}
    assert records['ff/df/004_982/000.png']['pair_path'] == \
        'ff/real/004/000.png'
    gone = records['ff/df/004_982/010.png']  # its real frame is not on disk
    assert gone['pair_path'] is None and 'missing on disk' in \
        gone['pair_missing_reason']
    assert records['ff/df/750_743/000.png']['pair_path'] is None
    assert 'no original frame' in \
        records['ff/df/750_743/000.png']['pair_missing_reason']
    with pytest.raises(ValueError, match='not a DeepfakeBench index'):
        bad = tmp_path / 'bad.json'
        bad.write_text('[]')
        tool.convert(str(bad), str(tmp_path))


def test_import_deepfakebench_names_an_unreadable_index(tmp_path):
    """The index is read through the one annotation module: a broken file
    is an AnnotationError naming it."""
    from qcdet.datasets.annotation_file import AnnotationError
    tool = load_module(REPO / 'tools' / 'data' / 'import_deepfakebench.py',
                       'import_deepfakebench')
    broken = tmp_path / 'index.json'
    broken.write_text('{"FF++": ')
    with pytest.raises(AnnotationError,
                       match=f'Cannot parse annotation file {broken}'):
        tool.convert(str(broken), str(tmp_path / 'out'))
    with pytest.raises(FileNotFoundError, match='Annotation file not found'):
        tool.convert(str(tmp_path / 'missing.json'), str(tmp_path / 'out'))
