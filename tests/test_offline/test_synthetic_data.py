"""The embedded synthetic demo dataset: layout, annotations, pairing,
determinism and the q knob."""
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from qcdet.offline.synthetic_data import (
    FORGERY_FAMILIES,
    SPLITS,
    generate_demo_dataset,
    make_fake,
    render_frame,
    sample_identity,
    sample_poses,
)

TINY = dict(seed=3,
            num_identities=6,
            videos_per_identity=1,
            frames_per_video=2,
            size=48)
RECORD_KEYS = {
    'img_path', 'label', 'video_id', 'dataset', 'method', 'frame_idx',
    'pair_path', 'static_quality', 'true_quality'
}


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp('demo')
    summary = generate_demo_dataset(out, **TINY)
    annotations = {
        split: json.loads((out / 'annotations' / f'{split}.json').read_text())
        for split in SPLITS
    }
    return out, summary, annotations


def _files(root: Path):
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2

    def blur(x):
        return cv2.GaussianBlur(x, (7, 7), 1.5)

    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma**2, blur(b * b) - mb**2, blur(
        a * b) - ma * mb
    return float(((2 * ma * mb + c1) * (2 * cov + c2) /
                  ((ma**2 + mb**2 + c1) * (va + vb + c2))).mean())


def _frames(num: int, size: int = 64):
    frames = []
    for i in range(num):
        identity = sample_identity(np.random.default_rng(100 + i))
        pose = sample_poses(np.random.default_rng(200 + i), 3, size)[1]
        frames.append(
            render_frame(identity,
                         pose,
                         size,
                         noise_sigma=2.5,
                         rng=np.random.default_rng(i)))
    return frames


def test_annotation_structure(tiny):
    out, summary, annotations = tiny
    total = 0
    for split, ann in annotations.items():
        assert set(ann) == {'metainfo', 'data_list'}
        assert ann['metainfo']['dataset'] == 'demo'
        assert ann['metainfo']['classes'] == ['real', 'fake']
        assert ann['data_list'], f'{split} is empty'
        for record in ann['data_list']:
            assert RECORD_KEYS <= set(record), record
            assert record['dataset'] == 'demo'
            assert record['label'] == int(record['method'] != 'real')
            assert record['static_quality'] is None
            assert 0 <= record['frame_idx'] < TINY['frames_per_video']
            video = Path(record['img_path']).parent.name
            assert record['video_id'] == f"demo/{record['method']}/{video}"
            image = cv2.imread(str(out / record['img_path']))
            assert image is not None and image.shape == (TINY['size'],
                                                         TINY['size'],
                                                         3), record['img_path']
            if record['label'] == 0:
                assert record['img_path'].startswith('real/')
                assert record['pair_path'] is None and record[
                    'true_quality'] is None
            else:
                assert record['img_path'].startswith(
                    f"fake/{record['method']}/")
                assert record['method'] in FORGERY_FAMILIES
                assert 0 <= record['true_quality'] <= 1
        total += len(ann['data_list'])
    assert total == summary['num_frames'] == TINY['num_identities'] * TINY[
        'frames_per_video'] * (1 + len(FORGERY_FAMILIES))
    pngs = [p for p in out.rglob('*.png')]
    assert len(pngs) == total


def test_splits_disjoint_by_identity(tiny):
    _, _, annotations = tiny
    identities = {
        split: {r['identity']
                for r in ann['data_list']}
        for split, ann in annotations.items()
    }
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            assert not identities[a] & identities[b], (a, b)
    assert sum(len(ids)
               for ids in identities.values()) == TINY['num_identities']
    for ann in annotations.values(
    ):  # a video's identity is the one in its name
        for r in ann['data_list']:
            assert r['video_id'].split('/')[-1].startswith(r['identity'] + '_')


def test_fake_pairs_are_the_source_real_frames(tiny):
    out, _, annotations = tiny
    for ann in annotations.values():
        reals = {r['img_path']: r for r in ann['data_list'] if r['label'] == 0}
        fakes = [r for r in ann['data_list'] if r['label'] == 1]
        assert len(fakes) == len(reals) * len(FORGERY_FAMILIES)
        for fake in fakes:
            assert (out / fake['pair_path']).is_file()
            real = reals[fake[
                'pair_path']]  # the pair is a real frame of the same split
            assert real['identity'] == fake['identity']
            assert real['frame_idx'] == fake['frame_idx']
            assert real['video_id'].split('/')[-1] == fake['video_id'].split(
                '/')[-1]
            # aligned: the fake leaves much of the frame (background, hair,
            # clothes) untouched
            same = (cv2.imread(str(out / fake['img_path'])) == cv2.imread(
                str(out / fake['pair_path']))).all(-1)
            assert same.mean() > 0.2, fake['img_path']


def test_video_ids_unique_per_method_and_video(tiny):
    _, _, annotations = tiny
    videos = {}
    for ann in annotations.values():
        for r in ann['data_list']:
            key = (r['method'], Path(r['img_path']).parent.name)
            assert videos.setdefault(r['video_id'], key) == key, r['video_id']
    frames = {}
    for ann in annotations.values():
        for r in ann['data_list']:
            frames.setdefault(r['video_id'], []).append(r['frame_idx'])
    assert all(
        sorted(idx) == list(range(TINY['frames_per_video']))
        for idx in frames.values())
    quality = {}
    for ann in annotations.values():  # one q per fake video
        for r in ann['data_list']:
            if r['label'] == 1:
                assert quality.setdefault(
                    r['video_id'], r['true_quality']) == r['true_quality']


def test_deterministic_for_a_seed(tiny, tmp_path):
    out, _, _ = tiny
    again = tmp_path / 'again'
    generate_demo_dataset(again, workers=2,
                          **TINY)  # also: workers do not change the bytes
    assert _files(again) == _files(out)
    other = tmp_path / 'other'
    generate_demo_dataset(other, **dict(TINY, seed=TINY['seed'] + 1))
    assert _files(other)['real/id000_v0/000.png'] != _files(
        out)['real/id000_v0/000.png']


def test_regenerating_replaces_and_foreign_dirs_are_refused(tmp_path):
    out = tmp_path / 'demo'
    generate_demo_dataset(out, **TINY)
    generate_demo_dataset(out, **dict(TINY, frames_per_video=1))
    records = sum(
        len(
            json.loads((out / 'annotations' /
                        f'{s}.json').read_text())['data_list'])
        for s in SPLITS)
    assert len(list(
        out.rglob('*.png'))) == records  # no stale frames from the first run

    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'keep.txt').write_text('not demo data')
    with pytest.raises(FileExistsError, match='foreign'):
        generate_demo_dataset(foreign, **TINY)
    assert os.listdir(foreign) == ['keep.txt']


@pytest.mark.parametrize(
    'version',
    ['v1', 'v2'])  # the benchmark ('benchmark' is pytest-benchmark's fixture)
@pytest.mark.parametrize('family', sorted(FORGERY_FAMILIES))
def test_fakes_are_pixel_aligned(family, version):
    for seed, frame in enumerate(_frames(3)):
        real = frame.image.astype(np.float32)
        fake = make_fake(family,
                         frame,
                         0.5,
                         seed=seed,
                         donors=[],
                         benchmark=version)
        diff = np.abs(fake.astype(np.float32) - real).mean(-1)
        inside = diff[frame.masks['face'] > 0.5].mean()
        outside = diff[frame.masks['head'] < 0.01].mean()
        assert inside > 1.0
        assert outside < 0.1 * inside, (family, outside, inside)


@pytest.mark.parametrize('family', sorted(FORGERY_FAMILIES))
def test_artefacts_weaken_as_quality_rises(family):
    for seed, frame in enumerate(_frames(3)):
        donors = [sample_identity(np.random.default_rng(7))]
        fakes = {
            q: make_fake(family, frame, q, seed=seed, donors=donors)
            for q in (0.1, 0.9, 1.0)
        }
        error = {
            q: np.abs(f.astype(np.float32) - frame.image).mean()
            for q, f in fakes.items()
        }
        ssim = {q: _ssim(f, frame.image) for q, f in fakes.items()}
        assert error[0.1] > error[0.9], (family, error)
        assert ssim[0.1] < ssim[0.9], (family, ssim)
        assert error[1.0] > 0.2, f'{family}: a q=1 fake must keep a trace'


def test_bad_arguments_are_rejected(tmp_path):
    frame = _frames(1)[0]
    with pytest.raises(ValueError, match='q must be in'):
        make_fake('upsample', frame, 1.5)
    with pytest.raises(KeyError, match='unknown forgery family'):
        make_fake('not_a_family', frame, 0.5)
    with pytest.raises(KeyError, match='unknown forgery families'):
        generate_demo_dataset(tmp_path / 'x', families=['nope'])
    with pytest.raises(ValueError, match='at least 3 identities'):
        generate_demo_dataset(tmp_path / 'y', num_identities=2)
