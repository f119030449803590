"""The FreDA band cache: FreDA from each real's stored low frequencies equals
FreDA from the decoded pair within one grey level; a missing, stale or too
small cache is rebuilt (reusing what is still valid) or refused with the
reason; it works through DataLoader workers and in a 2-process group."""
import copy
import json
import os
import pickle
import socket

import cv2
import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

import qcdet.datasets.pair_bands as pair_bands
import qcdet.datasets.transforms.freq_augment as freq_augment
from qcdet.datasets import DeepfakeDataset
from qcdet.datasets.pair_bands import (
    PairBandCache,
    PairBandError,
    attach_pair_bands,
    band_cache_prefix,
    build_pair_bands,
    write_annotation_bands,
)
from qcdet.datasets.transforms import FreqAugment, SelfBlendFreqAugment
from qcdet.offline.synthetic_data import generate_demo_dataset
from qcdet.utils.freda import (
    BandKernels,
    MaskCache,
    band_limits,
    freda_from_band,
    freda_image,
    freda_mask,
    freda_mix,
    real_band,
)

PIPELINE = [dict(type='LoadFrame'),
            dict(type='FreqAugment', radius_ratio=0.1),
            dict(type='PackDeepfakeInputs')]


def smooth(seed, height, width):
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 3),
                                                 dtype=np.uint8)
    return cv2.GaussianBlur(noise, (5, 5), 1.5)


# ------------------------------------------------------------ the arithmetic
@pytest.mark.parametrize('size', [(64, 64), (256, 256), (24, 31), (33, 20),
                                  (17, 17)])
@pytest.mark.parametrize('radius,shape,edge,width',
                         [(0.1, 'circle', 'hard', 0.0),
                          (0.3, 'square', 'hard', 0.0),
                          (0.2, 'circle', 'cosine', 0.1),
                          (0.0, 'circle', 'hard', 0.0)])
def test_band_freda_equals_pair_freda_within_one_grey_level(
        size, radius, shape, edge, width):
    height, width_px = size
    fake, real = smooth(0, *size), smooth(1, *size)
    a, k = band_limits(height, width_px)
    stored = real_band(real, a, k)
    mask, b, kk = BandKernels().mask(height, width_px, radius, shape, edge,
                                     width)
    band = stored[a - b:a + b + 1, :, :, :kk]
    ops = BandKernels().ops(height, width_px, b, kk)
    out = freda_from_band(fake, band, mask, ops)
    ref = freda_image(fake, real, MaskCache().get(
        height, width_px, radius, shape, edge=edge, edge_width=width))
    assert out.dtype == np.uint8 and out.shape == fake.shape
    assert np.abs(out.astype(int) - ref).max() <= 1
    assert (out != ref).mean() < 0.001  # rounding ties only
    # float fakes: the exact float mix, clipped
    exact = freda_mix(fake, real, freda_mask(height, width_px, radius, shape,
                                             edge, width))
    out_f = freda_from_band(fake.astype(np.float32), band, mask, ops)
    assert out_f.dtype == np.float32
    np.testing.assert_allclose(out_f, np.clip(exact, 0, 255), atol=1e-3)


def test_real_band_refuses_bins_beyond_the_nyquist_band():
    with pytest.raises(ValueError, match='out of range'):
        real_band(smooth(0, 16, 16), 8, 3)


# --------------------------------------------------------------- a dataset
@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('bands_demo')
    generate_demo_dataset(str(root), seed=0, num_identities=4,
                          videos_per_identity=1, frames_per_video=3, size=48)
    return root


@pytest.fixture
def data(demo, tmp_path):
    """A private copy of the demo's train split (frames may be changed)."""
    root = tmp_path / 'demo'
    ann = json.loads((demo / 'annotations' / 'train.json').read_text())
    for record in ann['data_list']:
        for key in ('img_path', 'pair_path'):
            if record.get(key):
                target = root / record[key]
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists():
                    target.write_bytes((demo / record[key]).read_bytes())
    (root / 'annotations').mkdir()
    (root / 'annotations' / 'train.json').write_text(json.dumps(ann))
    return root


def dataset(root, pipeline=PIPELINE, ann='annotations/train.json'):
    init_default_scope('qcdet')
    return DeepfakeDataset(ann_file=ann, data_root=str(root),
                           pipeline=copy.deepcopy(pipeline))


def freda_of(ds):
    """The FreDA'd image of every fake (each marked easy)."""
    fakes = np.flatnonzero(ds.get_labels() == 1)
    return {int(i): ds[(int(i), True, int(i))]['inputs'].numpy()
            for i in fakes}


def no_pair_reads(monkeypatch):
    def refuse(self, path, shape):
        raise AssertionError(f'pair {path} decoded despite the band cache')
    monkeypatch.setattr(FreqAugment, '_load_pair', refuse)


def test_dataset_freda_from_bands_equals_from_pairs(data, monkeypatch):
    expected = freda_of(dataset(data))
    ds = dataset(data)
    cache = attach_pair_bands(ds, 'auto')
    assert cache.prefix == band_cache_prefix(
        str(data / 'annotations' / 'train.json'))
    assert os.path.isfile(cache.prefix + '.npy')
    transform = ds.pipeline.transforms[1]
    assert 'pair_bands=' in repr(transform)
    no_pair_reads(monkeypatch)
    got = freda_of(ds)
    for index, image in expected.items():
        assert np.abs(got[index].astype(int) - image).max() <= 1, index
    assert transform.num_band_fallback == 0
    # reals and hard fakes are untouched
    real = int(np.flatnonzero(ds.get_labels() == 0)[0])
    assert not ds[(real, True, 0)]['data_samples'].freda_applied


def test_a_valid_cache_is_used_as_it_is(data, monkeypatch):
    attach_pair_bands(dataset(data), 'auto')
    built = []
    monkeypatch.setattr(pair_bands, 'build_pair_bands',
                        lambda *a, **k: built.append(a))
    attach_pair_bands(dataset(data), 'auto')
    assert not built


def changed_frame(root, ds):
    """Overwrites one pair with another image (a new mtime and content)."""
    index = int(np.flatnonzero(ds.get_labels() == 1)[0])
    path = ds.get_data_info(index)['pair_path']
    cv2.imwrite(path, smooth(7, 48, 48))
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    return index, path


def test_a_changed_frame_is_detected_and_only_it_is_decoded_again(
        data, monkeypatch):
    attach_pair_bands(dataset(data), 'auto')
    ds = dataset(data)
    index, path = changed_frame(data, ds)
    with pytest.raises(PairBandError, match='changed since'):
        attach_pair_bands(dataset(data), 'auto', rebuild=False)
    decoded = []
    read = pair_bands.read_image
    monkeypatch.setattr(pair_bands, 'read_image',
                        lambda p: decoded.append(p) or read(p))
    attach_pair_bands(ds, 'auto')
    assert decoded == [path]  # the others' blocks were copied
    fresh = dataset(data)
    expected = fresh[(index, True, 1)]['inputs'].numpy()
    got = ds[(index, True, 1)]['inputs'].numpy()
    assert np.abs(got.astype(int) - expected).max() <= 1


def test_a_new_pair_in_the_annotation_is_detected(data):
    attach_pair_bands(dataset(data), 'auto')
    ann = json.loads((data / 'annotations' / 'train.json').read_text())
    real = next(r for r in ann['data_list'] if r['label'] == 0)
    new_real = 'extra/real.png'
    (data / 'extra').mkdir()
    cv2.imwrite(str(data / new_real), smooth(9, 48, 48))
    ann['data_list'].append(dict(real, img_path=new_real, label=1,
                                 method='extra', video_id='extra/v0',
                                 pair_path=new_real))
    (data / 'annotations' / 'train.json').write_text(json.dumps(ann))
    with pytest.raises(PairBandError, match='no band.*annotation changed'):
        attach_pair_bands(dataset(data), 'auto', rebuild=False)
    cache = attach_pair_bands(dataset(data), 'auto')
    assert new_real in cache.frames


def test_a_band_too_small_for_the_mask_is_rebuilt_larger(data):
    ds = dataset(data)
    pairs = {rel: path for path, rel in pair_bands.dataset_pairs(ds).items()}
    prefix = band_cache_prefix(ds.ann_file)
    small = build_pair_bands(pairs, prefix, radius=0.05)
    wide = copy.deepcopy(PIPELINE)
    wide[1] = dict(type='FreqAugment', radius_ratio=(0.1, 0.3),
                   mask_shape='square', mask_edge='cosine', edge_width=0.05)
    with pytest.raises(PairBandError, match='too small'):
        attach_pair_bands(dataset(data, wide), 'auto', rebuild=False)
    ds = dataset(data, wide)
    cache = attach_pair_bands(ds, 'auto')
    entry = next(iter(cache.frames.values()))
    assert entry[4] > next(iter(small.frames.values()))[4]
    b, k = ds.pipeline.transforms[1].band_extent_needed(48, 48)
    assert entry[4] >= b and entry[5] >= k


def test_files_that_do_not_belong_together_are_refused(data, tmp_path):
    cache = attach_pair_bands(dataset(data), 'auto')
    other = build_pair_bands({}, str(tmp_path / 'empty'))
    assert other.frames == {}
    np.save(cache.npy_path, np.ones(cache.meta['num_values'], np.float32))
    with pytest.raises(PairBandError, match='probe values'):
        PairBandCache.open(cache.prefix)
    (tmp_path / 'junk.json').write_text('{"format": "other"}')
    (tmp_path / 'junk.npy').write_bytes(b'')
    with pytest.raises(PairBandError, match='is not a version'):
        PairBandCache.open(str(tmp_path / 'junk'))
    with pytest.raises(PairBandError, match='no band cache'):
        PairBandCache.open(str(tmp_path / 'absent'))
    # attach rebuilds the mismatched pair
    assert attach_pair_bands(dataset(data), 'auto').frames


def test_an_unwritable_place_is_refused_with_what_to_do(data, monkeypatch):
    def fail(*args, **kwargs):
        raise PermissionError('read-only file system')
    monkeypatch.setattr(pair_bands, 'build_pair_bands', fail)
    with pytest.raises(PairBandError, match='writable path'):
        attach_pair_bands(dataset(data), 'auto')


def test_a_missing_pair_gets_no_band_and_fails_as_without_a_cache(data):
    ds = dataset(data)
    index = int(np.flatnonzero(ds.get_labels() == 1)[0])
    path = ds.get_data_info(index)['pair_path']
    os.remove(path)
    cache = attach_pair_bands(ds, 'auto')
    assert list(cache.meta['unreadable']) == [os.path.relpath(path, data)]
    # stays valid: no rebuild at the next start
    assert not pair_bands.cache_problems(
        cache, pair_bands.dataset_pairs(ds), ds.pipeline.transforms[1:2])
    with pytest.raises(FileNotFoundError, match='Image file not found'):
        ds[(index, True, 0)]
    assert ds.pipeline.transforms[1].num_band_fallback == 1


def test_an_explicit_path_is_under_the_data_root(data):
    cache = attach_pair_bands(dataset(data), 'cache/bands.npy')
    assert cache.prefix == str(data / 'cache' / 'bands')


def test_transforms_that_bring_their_own_pairs_get_no_cache(data):
    transform = dict(type='SelfBlendFreqAugment', radius_ratio=0.1)
    pipeline = [PIPELINE[0], transform, PIPELINE[-1]]
    assert attach_pair_bands(dataset(data, pipeline), 'auto') is None
    assert not SelfBlendFreqAugment().accepts_pair_bands
    with pytest.raises(ValueError, match='cannot use a band cache'):
        SelfBlendFreqAugment().use_pair_bands(None, {})


def test_a_fake_of_another_size_than_its_pair_reads_the_pair(data):
    ds = dataset(data)
    attach_pair_bands(ds, 'auto')
    transform = ds.pipeline.transforms[1]
    index = int(np.flatnonzero(ds.get_labels() == 1)[0])
    info = ds.get_data_info(index)
    fake = cv2.resize(cv2.imread(info['img_path']), (40, 40))
    out = transform(dict(img=fake, label=1, qc_easy=True,
                         pair_path=info['pair_path'], img_path='x'))
    assert out['freda_applied'] and out['img'].shape == (40, 40, 3)
    assert transform.num_band_fallback == 1 and transform.num_resized == 1


def test_score_static_style_cache_serves_training(data, monkeypatch):
    ann = data / 'annotations' / 'train.json'
    cache = write_annotation_bands(str(ann), str(data))
    built = []
    monkeypatch.setattr(pair_bands, 'build_pair_bands',
                        lambda *a, **k: built.append(a))
    assert attach_pair_bands(dataset(data), 'auto').prefix == cache.prefix
    assert not built


# ------------------------------------------- DataLoader workers, processes
@pytest.mark.slow
def test_workers_open_the_map_themselves_and_match(data, monkeypatch):
    ds = dataset(data)
    cache = attach_pair_bands(ds, 'auto')
    state = pickle.loads(pickle.dumps(cache))
    assert state._values is None  # never pickled
    items = [(int(i), True, int(i)) for i in range(len(ds))]
    expected = [ds[item]['inputs'] for item in items]
    loader = DataLoader(ds, batch_size=None, sampler=items, num_workers=2,
                        multiprocessing_context='spawn')
    got = [batch['inputs'] for batch in loader]
    for a, b in zip(expected, got):
        torch.testing.assert_close(a, b)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _attach_in_group(rank, root, port, out):
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port),
                      RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2')
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        calls = []
        build = pair_bands.build_pair_bands
        pair_bands.build_pair_bands = lambda *a, **k: calls.append(1) or \
            build(*a, **k)
        ds = dataset(root)
        cache = attach_pair_bands(ds, 'auto')
        image = ds[(int(np.flatnonzero(ds.get_labels() == 1)[0]), True, 3)]
        np.save(os.path.join(out, f'rank{rank}.npy'),
                image['inputs'].numpy())
        with open(os.path.join(out, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(builds=len(calls), frames=len(cache.frames)), f)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_processes_build_once_and_agree(data, tmp_path):
    mp.spawn(_attach_in_group, args=(str(data), _free_port(), str(tmp_path)),
             nprocs=2)
    runs = [json.loads((tmp_path / f'rank{r}.json').read_text())
            for r in (0, 1)]
    assert [r['builds'] for r in runs] == [1, 0]  # local rank 0 builds
    assert runs[0]['frames'] == runs[1]['frames'] > 0
    np.testing.assert_array_equal(np.load(tmp_path / 'rank0.npy'),
                                  np.load(tmp_path / 'rank1.npy'))


def test_freq_augment_module_keeps_its_public_names():
    assert set(freq_augment.__all__) == {'FreqAugment'}
