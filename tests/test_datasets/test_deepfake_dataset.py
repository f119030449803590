import json

import numpy as np
import pytest

from qcdet.datasets import DeepfakeDataset
from qcdet.datasets.deepfake_dataset import AnnotationError


def write(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


def mmengine_ann(tmp_path, records):
    return write(tmp_path / 'ann.json',
                 dict(metainfo=dict(dataset='toy'), data_list=records))


RECORDS = [
    dict(img_path='real/v0/000.png', label=0, video_id='toy/real/v0',
         method='real', frame_idx=0),
    dict(img_path='fake/swap/v0/000.png', label=1, video_id='toy/swap/v0',
         method='swap', frame_idx=0, pair_path='real/v0/000.png',
         static_quality=0.7),
    dict(img_path='fake/swap/v1/000.png', label=1, method='swap'),
]


def test_mmengine_format(tmp_path):
    ds = DeepfakeDataset(mmengine_ann(tmp_path, RECORDS), data_root='/data',
                         pipeline=[])
    assert len(ds) == 3
    info = ds.get_data_info(1)
    assert info['img_path'] == '/data/fake/swap/v0/000.png'
    assert info['pair_path'] == '/data/real/v0/000.png'
    assert info['sample_idx'] == 1
    # defaults for optional keys: derived video id keeps methods apart
    third = ds.get_data_info(2)
    assert third['video_id'] == 'toy/swap/fake/swap/v1'
    assert third['pair_path'] is None
    np.testing.assert_array_equal(ds.get_labels(), [0, 1, 1])
    static = ds.get_static_quality()
    assert np.isnan(static[0]) and static[1] == pytest.approx(0.7)
    assert list(ds.get_methods()) == ['real', 'swap', 'swap']
    assert ds.metainfo['classes'] == ('real', 'fake')


def test_getitem_carries_easy_flag(tmp_path):
    ds = DeepfakeDataset(mmengine_ann(tmp_path, RECORDS), pipeline=[])
    assert ds[1]['qc_easy'] is False
    assert ds[(1, True)]['qc_easy'] is True
    assert ds[(1, True)]['sample_idx'] == 1


@pytest.mark.parametrize('bad, match', [
    ([dict(label=0)], 'missing key'),
    ([dict(img_path='a.png', label=2)], 'label must be 0'),
    ([dict(img_path='a.png', label='1')], 'label must be 0'),
    (['not a dict'], 'expected a dict'),
    ([dict(img_path='a.png', label=0, video_id='v'),
      dict(img_path='b.png', label=1, video_id='v', method='swap')],
     'video_id'),
])
def test_malformed_records(tmp_path, bad, match):
    with pytest.raises(AnnotationError, match=match):
        DeepfakeDataset(mmengine_ann(tmp_path, bad), pipeline=[])


def test_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='Annotation file not found'):
        DeepfakeDataset(str(tmp_path / 'missing.json'))
    broken = tmp_path / 'broken.json'
    broken.write_text('{"data_list": [')
    with pytest.raises(AnnotationError, match='Cannot parse'):
        DeepfakeDataset(str(broken))
    with pytest.raises(AnnotationError, match='neither'):
        DeepfakeDataset(write(tmp_path / 'x.json', [1, 2]))


def deepfakebench_index():
    def video(label, frames):
        return dict(label=label, frames=frames)
    ff = 'FaceForensics++'
    return {
        ff: {
            'FF-real': {'train': {'c23': {
                '000': video('FF-real', [f'{ff}/real/000/{i:03d}.png'
                                         for i in range(2)]),
                '003': video('FF-real', [f'{ff}/real/003/000.png'])}},
                'test': {'c23': {}}},
            'FF-DF': {'train': {'c23': {
                '000_003': video('FF-DF', [f'{ff}/df/000_003/{i:03d}.png'
                                           for i in range(3)])}}},
            'FF-NT': {'train': {'c23': {
                '000_003': video('FF-NT', [f'{ff}/nt/000_003/000.png'])}}},
        },
        'Celeb-DF-v2': {
            'CelebDFv2_real': {'test': {
                'id0_0000': video('CelebDFv2_real', ['cdf/r/000.png'])}},
            'CelebDFv2_fake': {'test': {
                'id0_id1_0000': video('CelebDFv2_fake', ['cdf/f/000.png'])}},
        },
    }


def test_deepfakebench_index(tmp_path):
    ann = write(tmp_path / 'dfb.json', deepfakebench_index())
    ds = DeepfakeDataset(ann, dataset_names=['FaceForensics++'],
                         split='train', pipeline=[])
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert len(infos) == 3 + 3 + 1
    by_method = {}
    for info in infos:
        by_method.setdefault(info['method'], []).append(info)
    assert sorted(by_method) == ['Deepfakes', 'NeuralTextures', 'real']
    # the same FF++ video name under two methods gives two video ids
    ids = {i['video_id'] for i in infos if i['label'] == 1}
    assert ids == {'FaceForensics++/Deepfakes/000_003',
                   'FaceForensics++/NeuralTextures/000_003'}
    # pairs recovered from <target>_<source>: frame 000 and 001 of original
    # 000 exist, frame 002 does not
    df = sorted(by_method['Deepfakes'], key=lambda i: i['frame_idx'])
    assert [d['pair_path'] for d in df] == [
        'FaceForensics++/real/000/000.png', 'FaceForensics++/real/000/001.png',
        None]
    assert [d['frame_idx'] for d in df] == [0, 1, 2]


def test_deepfakebench_without_compression_level(tmp_path):
    ann = write(tmp_path / 'dfb.json', deepfakebench_index())
    ds = DeepfakeDataset(ann, dataset_names=['Celeb-DF-v2'], split='test',
                         pipeline=[])
    np.testing.assert_array_equal(sorted(ds.get_labels()), [0, 1])
    with pytest.raises(KeyError, match='no dataset'):
        DeepfakeDataset(ann, dataset_names=['DFDC'], pipeline=[])


def test_getitem_seed_fixes_the_augmentation(tmp_path):
    """``(index, easy, seed)``: random transforms draw from the seed alone,
    whatever was drawn before, and the caller's RNG state is left as it was
    (num_workers=0 runs the pipeline in the main process)."""
    import random

    import torch

    class Draw:
        def __call__(self, results):
            results['draws'] = (random.random(), float(np.random.rand()),
                                float(torch.rand(1)))
            return results

    ds = DeepfakeDataset(mmengine_ann(tmp_path, RECORDS), pipeline=[Draw()])
    first = ds[(1, True, 123)]
    np.random.rand(5)
    again = ds[(1, True, 123)]
    assert first['draws'] == again['draws']
    assert first['qc_easy'] is True and first['sample_idx'] == 1
    assert ds[(1, True, 124)]['draws'] != first['draws']
    np.random.seed(0)
    expected = np.random.rand()
    np.random.seed(0)
    ds[(2, False, 7)]
    assert np.random.rand() == expected
