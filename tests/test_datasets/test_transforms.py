import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from qcdet.datasets.transforms import (
    LoadFrame,
    PackDeepfakeInputs,
    RandomGaussianBlur,
    RandomHueShift,
    RandomJPEGCompression,
    read_image,
)
from qcdet.registry import TRANSFORMS

SIZE = 16


def textured_image(h=24, w=32, seed=0):
    """A BGR uint8 image with edges, so blur and JPEG visibly change it."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


@pytest.fixture
def png_path(tmp_path):
    path = tmp_path / 'frame.png'
    img = textured_image()
    assert cv2.imwrite(str(path), img)
    return path, img


# ----------------------------------------------------------------- loading
def test_load_frame_reads_bgr_uint8(png_path):
    path, img = png_path
    results = LoadFrame()(dict(img_path=str(path)))
    np.testing.assert_array_equal(results['img'], img)  # PNG is lossless
    assert results['img'].dtype == np.uint8
    assert results['img_shape'] == (24, 32)
    assert results['ori_shape'] == (24, 32)


def test_load_frame_to_float32(png_path):
    path, img = png_path
    results = LoadFrame(to_float32=True)(dict(img_path=str(path)))
    assert results['img'].dtype == np.float32
    np.testing.assert_array_equal(results['img'], img.astype(np.float32))


def test_read_image_matches_load_frame(png_path):
    path, img = png_path
    np.testing.assert_array_equal(read_image(str(path)), img)


def test_load_frame_missing_file(tmp_path):
    missing = tmp_path / 'nope.png'
    with pytest.raises(FileNotFoundError, match='nope.png'):
        LoadFrame()(dict(img_path=str(missing)))


@pytest.mark.parametrize('content', [b'not an image at all', b''])
def test_load_frame_corrupt_file(tmp_path, content):
    path = tmp_path / 'broken.png'
    path.write_bytes(content)
    with pytest.raises(ValueError, match='broken.png'):
        LoadFrame()(dict(img_path=str(path)))


def test_load_frame_needs_img_path():
    with pytest.raises(KeyError, match='img_path'):
        LoadFrame()(dict(label=1))


# ----------------------------------------------------------- augmentations
AUGMENTATIONS = [
    (RandomJPEGCompression, dict(quality_range=(30, 60))),
    (RandomGaussianBlur, dict(sigma_range=(1.0, 2.0))),
    (RandomHueShift, dict(shift_range=(0.2, 0.3))),
]


@pytest.mark.parametrize('cls,kwargs', AUGMENTATIONS)
def test_augmentation_prob_one_changes_pixels(cls, kwargs):
    img = textured_image()
    results = cls(prob=1.0, **kwargs)(dict(img=img.copy()))
    out = results['img']
    assert out.shape == img.shape
    assert out.dtype == np.uint8
    assert np.abs(out.astype(int) - img.astype(int)).mean() > 1.0


@pytest.mark.parametrize('cls,kwargs', AUGMENTATIONS)
def test_augmentation_prob_zero_is_identity(cls, kwargs):
    img = textured_image()
    results = cls(prob=0.0, **kwargs)(dict(img=img.copy()))
    np.testing.assert_array_equal(results['img'], img)


@pytest.mark.parametrize('cls,kwargs', AUGMENTATIONS)
def test_augmentation_keeps_grayscale_shape(cls, kwargs):
    img = textured_image()[..., 0]
    out = cls(prob=1.0, **kwargs)(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8


def test_hue_half_turn_maps_red_to_cyan():
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 2] = 255  # BGR
    t = RandomHueShift(shift_range=(0.5, 0.5), prob=1.0)
    out = t(dict(img=red))['img'].astype(int)
    b, g, r = out[..., 0], out[..., 1], out[..., 2]
    assert (b > 240).all() and (g > 240).all() and (r < 15).all()


@pytest.mark.parametrize('shift', [-0.05, 0.05])
def test_hue_shift_both_signs_keep_brightness(shift):
    img = textured_image()
    t = RandomHueShift(shift_range=(shift, shift), prob=1.0)
    out = t(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8
    # A hue rotation keeps HSV value = max channel (up to rounding).
    assert np.abs(out.max(-1).astype(int) - img.max(-1)).max() <= 2


def test_jpeg_lower_quality_loses_more():
    img = cv2.GaussianBlur(textured_image(64, 64), (0, 0), 1.0)

    def error(quality):
        t = RandomJPEGCompression(quality_range=(quality, quality), prob=1.0)
        out = t(dict(img=img.copy()))['img']
        return np.abs(out.astype(int) - img.astype(int)).mean()

    assert error(10) > error(95)


def test_blur_stronger_sigma_smooths_more():
    img = textured_image(64, 64)

    def roughness(sigma):
        t = RandomGaussianBlur(sigma_range=(sigma, sigma), prob=1.0)
        out = t(dict(img=img.copy()))['img'].astype(int)
        return np.abs(np.diff(out, axis=1)).mean()

    assert roughness(3.0) < roughness(0.5) < roughness_of(img)


def roughness_of(img):
    return np.abs(np.diff(img.astype(int), axis=1)).mean()


@pytest.mark.parametrize('cfg', [
    dict(type='RandomJPEGCompression', quality_range=(0, 50)),
    dict(type='RandomJPEGCompression', quality_range=(90, 80)),
    dict(type='RandomJPEGCompression', prob=1.5),
    dict(type='RandomGaussianBlur', sigma_range=(0.0, 1.0)),
    dict(type='RandomGaussianBlur', prob=-0.1),
    dict(type='RandomHueShift', shift_range=(-0.6, 0.1)),
])
def test_augmentation_rejects_bad_args(cfg):
    with pytest.raises(ValueError):
        TRANSFORMS.build(cfg)


# Upstream transforms, configured as a qcdet config uses them.
def test_upstream_resize_sets_img_shape():
    init_default_scope('qcdet')
    t = TRANSFORMS.build(dict(type='Resize', scale=(SIZE, SIZE)))
    out = t(dict(img=textured_image(), img_shape=(24, 32)))
    assert out['img'].shape == (SIZE, SIZE, 3)
    assert out['img_shape'] == (SIZE, SIZE)


def test_upstream_flip_prob_one_mirrors():
    init_default_scope('qcdet')
    img = textured_image()
    t = TRANSFORMS.build(
        dict(type='RandomFlip', prob=1.0, direction='horizontal'))
    np.testing.assert_array_equal(t(dict(img=img.copy()))['img'],
                                  img[:, ::-1])


def test_upstream_color_jitter_cv2_backend():
    init_default_scope('qcdet')
    img = textured_image()
    t = TRANSFORMS.build(
        dict(type='mmpretrain.ColorJitter', brightness=(1.5, 1.5),
             backend='cv2'))
    out = t(dict(img=img.copy()))['img']
    assert out.shape == img.shape and out.dtype == np.uint8
    assert out.astype(int).sum() > img.astype(int).sum()


# ---------------------------------------------------------------- packing
def test_pack_inputs_and_data_sample():
    img = textured_image()
    results = dict(
        img=img, label=1, img_path='x/0001.png', video_id='demo/fake/x',
        dataset='demo', method='fake', frame_idx=3, sample_idx=7,
        qc_easy=True, pair_path='y/0001.png')
    packed = PackDeepfakeInputs()(results)

    inputs = packed['inputs']
    assert isinstance(inputs, torch.Tensor)
    assert inputs.shape == (3, 24, 32)
    assert inputs.dtype == torch.uint8
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.numpy(), img.transpose(2, 0, 1))

    sample = packed['data_samples']
    assert isinstance(sample, DataSample)
    assert sample.gt_label.tolist() == [1]
    assert sample.metainfo == dict(
        sample_idx=7, img_path='x/0001.png', video_id='demo/fake/x',
        dataset='demo', method='fake', frame_idx=3, qc_easy=True)


def test_pack_skips_missing_meta_keys():
    packed = PackDeepfakeInputs()(dict(img=textured_image(), label=0,
                                       img_path='a.png'))
    assert packed['data_samples'].metainfo == dict(img_path='a.png')
    assert packed['data_samples'].gt_label.tolist() == [0]


@pytest.mark.parametrize('results,error', [
    (dict(img=np.zeros((4, 4, 3), np.uint8)), KeyError),
    (dict(img=np.zeros((4, 4, 3), np.uint8), label=2), ValueError),
    (dict(img=np.zeros((4, 4, 3), np.uint8), label='fake'), ValueError),
])
def test_pack_rejects_bad_labels(results, error):
    with pytest.raises(error, match='label'):
        PackDeepfakeInputs()(results)


# ------------------------------------------------------- config pipelines


def train_pipeline():
    return [
        dict(type='LoadFrame'),
        dict(type='Resize', scale=(SIZE, SIZE)),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='mmpretrain.ColorJitter', brightness=0.2, contrast=0.2,
             saturation=0.2, backend='cv2'),
        dict(type='RandomHueShift', shift_range=(-0.05, 0.05), prob=0.5),
        dict(type='RandomJPEGCompression', quality_range=(60, 100), prob=0.5),
        dict(type='RandomGaussianBlur', sigma_range=(0.1, 2.0), prob=0.5),
        dict(type='PackDeepfakeInputs'),
    ]


def test_pipeline_type_strings_resolve_to_expected_classes():
    init_default_scope('qcdet')
    from mmcv.transforms import RandomFlip, Resize
    from mmpretrain.datasets.transforms import ColorJitter
    assert TRANSFORMS.get('Resize') is Resize
    assert TRANSFORMS.get('mmcv.Resize') is Resize
    assert TRANSFORMS.get('RandomFlip') is RandomFlip
    assert TRANSFORMS.get('mmpretrain.ColorJitter') is ColorJitter
    assert TRANSFORMS.get('LoadFrame') is LoadFrame


def test_upstream_hue_jitter_is_broken_under_numpy2():
    """Why RandomHueShift exists; if this starts passing, mmcv is fixed
    and mmpretrain.ColorJitter(hue=...) can be used again."""
    import mmcv
    with pytest.raises(OverflowError):
        mmcv.adjust_hue(textured_image(), -0.05, backend='cv2')


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_train_pipeline_from_config(png_path, seed):
    init_default_scope('qcdet')
    np.random.seed(seed)
    path, _ = png_path
    pipeline = Compose(train_pipeline())
    packed = pipeline(dict(img_path=str(path), label=1, video_id='v',
                           sample_idx=0, qc_easy=False))
    assert packed['inputs'].shape == (3, SIZE, SIZE)
    assert packed['inputs'].dtype == torch.uint8
    sample = packed['data_samples']
    assert sample.gt_label.tolist() == [1]
    assert sample.metainfo['video_id'] == 'v'
    assert sample.metainfo['qc_easy'] is False
    assert sample.metainfo['img_path'] == str(path)


def test_test_pipeline_from_config_is_deterministic(png_path):
    init_default_scope('qcdet')
    path, img = png_path
    pipeline = Compose([
        dict(type='LoadFrame'),
        dict(type='Resize', scale=(SIZE, SIZE)),
        dict(type='PackDeepfakeInputs'),
    ])
    first = pipeline(dict(img_path=str(path), label=0))
    second = pipeline(dict(img_path=str(path), label=0))
    expected = cv2.resize(img, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(first['inputs'].numpy(),
                                  expected.transpose(2, 0, 1))
    assert torch.equal(first['inputs'], second['inputs'])
