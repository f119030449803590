"""Self-blended images: the SelfBlend transform, the dataset's landmarks,
reals_only and self-blend records, and QC on SBI (the curriculum pacing the
generator by realism, FreDA from the source in memory, through persistent
DataLoader workers)."""
import json
import logging

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from scipy.stats import spearmanr

from qcdet.datasets import DeepfakeDataset, QualityCurriculumSampler
from qcdet.datasets.annotation_file import AnnotationError
from qcdet.datasets.transforms import (
    FreqAugment,
    SelfBlend,
    SelfBlendFreqAugment,
)
from qcdet.offline.synthetic_data import generate_demo_dataset
from qcdet.quality import FQSCombiner
from qcdet.utils.freda import freda_image, freda_mask


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('sbi_demo')
    generate_demo_dataset(str(root), seed=1, num_identities=10,
                          frames_per_video=4, size=64,
                          families=['blend_swap'], benchmark='v2')
    return root


@pytest.fixture(scope='module')
def faces(demo):
    """(image, landmarks, img_path) of the demo's training reals."""
    ann = json.loads((demo / 'annotations' / 'train.json').read_text())
    out = []
    for record in ann['data_list']:
        if record['label'] == 0:
            path = str(demo / record['img_path'])
            out.append((cv2.imread(path),
                        np.asarray(record['landmarks'], np.float32), path))
    return out


def blend(transform, face, seed=0, **extra):
    img, landmarks, path = face
    np.random.seed(seed)
    return transform(dict(img=img.copy(), landmarks=landmarks.copy(),
                          img_path=path, label=0, method='real', **extra))


def hull_mask(points, shape):
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(
        np.int32)), 1)
    return mask


# ------------------------------------------------------------ the transform
def test_self_blend_is_a_fake_paired_with_its_source(faces):
    face = faces[0]
    out = blend(SelfBlend(apply_to='reals'), face)
    assert out['label'] == 1 and out['method'] == 'self_blend'
    assert out['self_blend'] is True
    assert out['img'].shape == face[0].shape and out['img'].dtype == np.uint8
    # the source real is the pair, in memory and by path
    np.testing.assert_array_equal(out['pair_img'], face[0])
    assert out['pair_path'] == face[2]
    assert not np.array_equal(out['img'], face[0])
    params = out['sbi_params']
    json.dumps(params)  # plain values
    assert params['transformed'] == 'source'


def test_blend_changes_only_pixels_under_the_mask_inside_the_hull(faces):
    transform = SelfBlend(apply_to='reals')
    for i, face in enumerate(faces[:12]):
        out = blend(transform, face, seed=i)
        mask = out['sbi_mask']
        changed = np.any(out['img'] != out['pair_img'], axis=2)
        assert not changed[mask == 0].any()
        assert changed.any()
        # the mask reaches outside the landmarks' hull by at most its margin
        hull = hull_mask(face[1], mask.shape)
        outside = cv2.distanceTransform((1 - hull).astype(np.uint8),
                                        cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        margin = out['sbi_params']['mask_margin_px']
        assert outside[mask > 0].max() <= margin + 0.5
        # ... and covers most of the face
        assert (mask[hull > 0] > 0).mean() > 0.5
        assert mask.max() == pytest.approx(out['sbi_params']['blend_ratio'],
                                           abs=1e-5)


def test_same_seed_same_self_blend(faces):
    transform = SelfBlend(apply_to='reals')
    a, b = blend(transform, faces[1], 5), blend(transform, faces[1], 5)
    np.testing.assert_array_equal(a['img'], b['img'])
    assert a['sbi_params'] == b['sbi_params']
    c = blend(transform, faces[1], 6)
    assert not np.array_equal(a['img'], c['img'])


def test_parameters_in_range_and_realism_hit_exactly(faces):
    transform = SelfBlend(apply_to='reals')
    for i, target in enumerate(np.linspace(0, 1, 11)):
        params = blend(transform, faces[i % len(faces)], seed=i,
                       sbi_realism=float(target))['sbi_params']
        assert params['realism'] == pytest.approx(target, abs=1e-9)
        assert 0.25 <= params['blend_ratio'] <= 1.0
        assert 0.01 <= params['mask_blur'] <= 0.08
        assert 0.0 <= params['colour_gap'] <= 1.0
        assert params['frequency_op'] in ('downscale', 'sharpen', 'blur',
                                          'jpeg')
        assert params['hull_type'] in ('full', 'inner', 'parts')
        assert 0.95 <= params['scale'] <= 1 / 0.95 + 1e-9
        assert abs(params['translate_px'][0]) <= 0.03 * 64 + 1e-9
        colour = params['colour']
        assert abs(colour['brightness']) == pytest.approx(
            0.1 * params['colour_gap'])
        assert max(abs(c) for c in colour['rgb_shift']) == pytest.approx(
            20 * params['colour_gap'])
    # the extremes: the realism function's ends
    assert transform.realism(1.0, 0.01, 1.0) == pytest.approx(0.0)
    assert transform.realism(0.25, 0.08, 0.0) == pytest.approx(1.0)
    # without a target: drawn from realism_range
    low = SelfBlend(apply_to='reals', realism_range=(0.2, 0.3))
    for i in range(5):
        assert 0.2 <= blend(low, faces[0], i)['sbi_params']['realism'] <= 0.3


def test_realism_means_a_smaller_pixel_change(faces):
    """The parameter-space realism is what the picture shows: the mean
    change inside the hull falls as the realism rises."""
    transform = SelfBlend(apply_to='reals')
    realism, change = [], []
    for i in range(60):
        target = (i + 0.5) / 60
        face = faces[i % len(faces)]
        out = blend(transform, face, seed=100 + i, sbi_realism=target)
        hull = hull_mask(face[1], face[0].shape[:2]) > 0
        diff = np.abs(out['img'].astype(float) - out['pair_img']).mean(2)
        realism.append(target)
        change.append(diff[hull].mean())
    rho = spearmanr(realism, change)[0]
    assert rho < -0.7, rho


def test_marked_only_by_default_and_reals_pass_through(faces):
    transform = SelfBlend()
    img = faces[0][0].copy()
    out = transform(dict(img=img, landmarks=faces[0][1], label=0))
    assert out['label'] == 0 and 'sbi_params' not in out
    assert out['img'] is img
    out = blend(transform, faces[0], self_blend=True)
    assert out['label'] == 1
    # apply_to='reals' leaves a fake alone
    fake = dict(img=img.copy(), landmarks=faces[0][1], label=1)
    assert 'sbi_params' not in SelfBlend(apply_to='reals')(fake)


def test_float_images_and_altered_target(faces):
    img, landmarks, path = faces[2]
    np.random.seed(0)
    out = SelfBlend(apply_to='reals', transform_target_prob=1.0)(
        dict(img=img.astype(np.float32), landmarks=landmarks, label=0))
    assert out['img'].dtype == np.float32
    assert out['sbi_params']['transformed'] == 'target'
    # the pair is the altered target the blend is aligned with
    assert not np.allclose(out['pair_img'], img)
    outside = out['sbi_mask'] == 0
    np.testing.assert_allclose(out['img'][outside], out['pair_img'][outside])


def test_missing_or_bad_landmarks_say_how_to_get_them(faces):
    transform = SelfBlend(apply_to='reals')
    img = faces[0][0]
    with pytest.raises(KeyError, match='preprocess.py .*--landmarks.*'
                       'make_demo_data.py'):
        transform(dict(img=img.copy(), label=0, img_path='x.png'))
    with pytest.raises(ValueError, match='68 finite'):
        transform(dict(img=img.copy(), label=0,
                       landmarks=np.zeros((5, 2))))
    with pytest.raises(ValueError, match='min_face_size'):
        transform(dict(img=img.copy(), label=0,
                       landmarks=np.full((68, 2), 3.0) +
                       np.random.rand(68, 2)))
    with pytest.raises(ValueError, match='sbi_realism'):
        blend(transform, faces[0], sbi_realism=1.5)
    with pytest.raises(ValueError, match='H x W x 3'):
        transform(dict(img=img[..., 0].copy(), label=0,
                       landmarks=faces[0][1]))


@pytest.mark.parametrize('kwargs, match', [
    (dict(apply_to='fakes'), 'apply_to'),
    (dict(realism_weights=(1, 1)), 'realism_weights'),
    (dict(realism_weights=(0, 0, 0)), 'realism_weights'),
    (dict(blend_ratio_range=(0.9, 0.5)), 'blend_ratio_range'),
    (dict(frequency_ops=('jpeg', 'warp')), 'frequency_ops'),
    (dict(hull_types=()), 'hull_types'),
    (dict(colour_limits=dict(gamma=1)), 'gamma'),
    (dict(knob_spread=2), 'knob_spread'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, KeyError), match=match):
        SelfBlend(**kwargs)


def test_freda_takes_the_source_from_memory(faces):
    out = blend(SelfBlend(apply_to='reals'), faces[3])
    fake, source = out['img'].copy(), out['pair_img'].copy()
    out['pair_path'] = '/nonexistent/never/read.png'
    out['qc_easy'] = True
    mixed = SelfBlendFreqAugment(radius_ratio=0.25)(out)
    assert mixed['freda_applied'] is True and 'pair_img' not in mixed
    expected = freda_image(fake, source, freda_mask(64, 64, 0.25, 'circle'))
    np.testing.assert_array_equal(mixed['img'], expected)
    # FreDA gives the blend its source's low frequencies back
    def lowpass(x):
        return cv2.GaussianBlur(x.astype(np.float32), (0, 0), 4)

    assert np.abs(lowpass(mixed['img']) - lowpass(source)).mean() < \
        np.abs(lowpass(fake) - lowpass(source)).mean()
    # not easy: untouched; no pair_img: reads pair_path as FreqAugment does
    out = blend(SelfBlend(apply_to='reals'), faces[3])
    kept = out['img'].copy()
    assert not SelfBlendFreqAugment()(out)['freda_applied']
    np.testing.assert_array_equal(out['img'], kept)
    plain = dict(img=fake.copy(), label=1, qc_easy=True,
                 pair_path=faces[3][2])
    assert SelfBlendFreqAugment()(plain)['freda_applied']
    assert issubclass(SelfBlendFreqAugment, FreqAugment)


# ---------------------------------------------------------------- dataset
def write_ann(tmp_path, records, name='ann.json'):
    path = tmp_path / name
    path.write_text(json.dumps(dict(metainfo=dict(dataset='toy'),
                                    data_list=records)))
    return str(path)


LM = [[20.0 + (i % 10), 20.0 + i // 10 * 3] for i in range(68)]


def toy_records():
    return [
        dict(img_path='real/a/000.png', label=0, video_id='toy/real/a',
             landmarks=LM),
        dict(img_path='real/b/000.png', label=0, video_id='toy/real/b',
             landmarks=LM),
        dict(img_path='real/c/000.png', label=0, video_id='toy/real/c'),
        dict(img_path='fake/x/a/000.png', label=1, method='x',
             video_id='toy/x/a', pair_path='real/a/000.png',
             landmarks=LM),
    ]


def test_landmarks_reach_the_pipeline_as_an_array(tmp_path):
    ds = DeepfakeDataset(write_ann(tmp_path, toy_records()), pipeline=[])
    points = ds.get_data_info(0)['landmarks']
    assert points.dtype == np.float32 and points.shape == (68, 2)
    assert 'landmarks' not in ds.get_data_info(2)


@pytest.mark.parametrize('landmarks, match', [
    (LM[:67], 'shape'),
    ([[1.0, 2.0, 3.0]] * 68, 'shape'),
    ([[1.0, 'x']] * 68, 'numbers'),
    ([[1.0, float('nan')]] + LM[1:], 'non-finite'),
    ([[1.0, 2.0], [3.0]] + LM[2:], 'numbers'),
])
def test_malformed_landmarks_name_file_and_record(tmp_path, landmarks,
                                                  match):
    records = toy_records()
    records[1]['landmarks'] = landmarks
    path = write_ann(tmp_path, records)
    with pytest.raises(AnnotationError,
                       match=rf'ann\.json, record 1 \(real/b/000\.png\).*'
                       f'{match}'):
        DeepfakeDataset(path, pipeline=[])


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_reals_only_and_self_blend_records(tmp_path):
    handler = _Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        ds = DeepfakeDataset(write_ann(tmp_path, toy_records()),
                             data_root='/d', reals_only=True,
                             self_blend=True, pipeline=[dict(
                                 type='SelfBlend')])
    finally:
        logger.removeHandler(handler)
    text = '\n'.join(handler.messages)
    assert 'reals_only: 3 reals kept, 1 fakes left out' in text
    assert '2 self-blend records' in text
    assert '1 real(s) without landmarks get none' in text
    np.testing.assert_array_equal(ds.get_labels(), [0, 0, 0, 1, 1])
    blends = [ds.get_data_info(i) for i in (3, 4)]
    for info, source in zip(blends, (0, 1)):
        real = ds.get_data_info(source)
        assert info['img_path'] == info['pair_path'] == real['img_path']
        assert info['method'] == 'self_blend' and info['self_blend']
        assert info['video_id'] == 'self_blend/' + real['video_id']
        assert info['sbi_source_index'] == source
        assert info['static_quality'] == info['sbi_realism']
    # realism levels spread evenly over [0, 1]
    assert sorted(b['sbi_realism'] for b in blends) == [0.25, 0.75]
    assert ds.get_paired()[3:].all()
    np.testing.assert_allclose(np.sort(ds.get_static_quality()[3:]),
                               [0.25, 0.75])


def test_self_blend_needs_landmarks_and_a_self_blend_transform(tmp_path):
    records = [r for r in toy_records() if r['label'] == 0]
    for r in records:
        r.pop('landmarks', None)
    with pytest.raises(AnnotationError, match='none of its 3 real.*'
                       'preprocess.py'):
        DeepfakeDataset(write_ann(tmp_path, records), self_blend=True,
                        pipeline=[dict(type='SelfBlend')])
    path = write_ann(tmp_path, toy_records(), 'ok.json')
    with pytest.raises(ValueError, match='has none'):
        DeepfakeDataset(path, self_blend=True,
                        pipeline=[dict(type='LoadFrame')])
    with pytest.raises(ValueError, match="apply_to='marked'"):
        DeepfakeDataset(path, self_blend=True,
                        pipeline=[dict(type='SelfBlend', apply_to='reals')])
    with pytest.raises(AnnotationError, match='none of its 1 record'):
        DeepfakeDataset(write_ann(tmp_path, toy_records()[3:], 'f.json'),
                        reals_only=True, pipeline=[])


def test_self_blend_must_come_first_after_loading(tmp_path):
    path = write_ann(tmp_path, toy_records())
    with pytest.raises(ValueError, match='Resize comes before SelfBlend'):
        DeepfakeDataset(path, pipeline=[
            dict(type='LoadFrame'),
            dict(type='Resize', scale=(32, 32)),
            dict(type='SelfBlend')
        ])
    DeepfakeDataset(path, pipeline=[dict(type='LoadFrame'),
                                    dict(type='SelfBlend')])


# ---------------------------------------------------------- QC on SBI
def sbi_pipeline():
    keys = ('sample_idx', 'freda_applied', 'sbi_realism', 'method')
    return [
        dict(type='LoadFrame'),
        dict(type='SelfBlend'),
        dict(type='SelfBlendFreqAugment', radius_ratio=0.1),
        dict(type='PackDeepfakeInputs', meta_keys=keys),
    ]


def sbi_dataset(demo):
    return DeepfakeDataset(str(demo / 'annotations' / 'train.json'),
                           data_root=str(demo), reals_only=True,
                           self_blend=True, pipeline=sbi_pipeline())


def qc_sampler(dataset, **kwargs):
    """The QC block's sampler with the FQS the hook hands it before the
    first epoch (static only: the self-blends' realism)."""
    sampler = QualityCurriculumSampler(dataset, seed=0, end_epoch=4,
                                       rank=0, world_size=1, **kwargs)
    fqs = FQSCombiner()(dataset.get_labels(), dataset.get_static_quality(),
                        None)
    sampler.set_scores(fqs)
    return sampler


def test_curriculum_moves_the_realism_the_generator_draws(demo):
    dataset = sbi_dataset(demo)
    sampler = qc_sampler(dataset)
    realism = dataset.get_static_quality()
    blends = dataset.get_labels() == 1
    means, freda_shares = [], []
    for epoch in range(5):
        plan = sampler.epoch_plan(epoch)
        visits = plan.visits * blends
        means.append(np.average(realism[blends], weights=visits[blends]))
        freda_shares.append(visits[plan.easy].sum() / visits.sum())
        # the low-quality self-blends are the least realistic 30 %
        easy = realism[plan.easy]
        assert plan.easy.sum() == round(0.3 * blends.sum())
        assert easy.max() < np.min(realism[blends & ~plan.easy])
    assert np.all(np.diff(means) > 0), means
    assert means[0] < 0.47 and means[-1] > 0.53, means
    assert freda_shares[0] > freda_shares[-1]


def test_qc_on_sbi_through_persistent_workers(demo):
    """The sampler's decision (which self-blends, which go through FreDA)
    reaches two persistent workers with the indices, epoch after epoch; the
    workers blend at each record's realism and mix FreDA from the source."""
    dataset = sbi_dataset(demo)
    sampler = qc_sampler(dataset)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=8, sampler=sampler, num_workers=2,
        persistent_workers=True, collate_fn=lambda batch: batch)
    realism = dataset.get_static_quality()
    means = {}
    for epoch in (0, 4):
        sampler.set_epoch(epoch)
        seen = [s for batch in loader for s in batch]
        plan = sampler.last_plan
        assert len(seen) == len(dataset)
        visited = []
        for sample in seen:
            meta = sample['data_samples'].metainfo
            idx = meta['sample_idx']
            if sample['data_samples'].gt_label.item() == 0:
                assert meta['method'] == 'real' and not meta['freda_applied']
                continue
            assert meta['method'] == 'self_blend'
            assert meta['sbi_realism'] == pytest.approx(realism[idx])
            assert meta['freda_applied'] == bool(plan.easy[idx])
            visited.append(realism[idx])
        means[epoch] = np.mean(visited)
        assert any(s['data_samples'].metainfo['freda_applied']
                   for s in seen)
    assert means[4] > means[0] + 0.05, means
