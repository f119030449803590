"""Pictures that read without the command line (issue #21 item 4): the
Grad-CAM panel, whole-number epoch ticks, the static axis named after the
backend that made the scores, contact-sheet captions with video, method
and compression."""
import json

import cv2
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from qcdet.visualization import (
    frame_origin,
    load_training_log,
    plot_curriculum_timeline,
    plot_quality_histograms,
    plot_training_curves,
    run_static_evaluator,
    static_score_label,
)
from qcdet.visualization.cam import cam_panel

SIZE = 256


def smooth_crop(size=64):
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 255, (size, size, 3)).astype(np.float32)
    return cv2.GaussianBlur(noise, (0, 0), 3).astype(np.uint8)


def test_cam_panel_shows_crop_heat_map_overlay_and_score():
    crop = smooth_crop()
    cam = np.array([[0.0, 1.0], [0.2, 0.5]], np.float32)  # a 2 x 2 map
    panel = cam_panel(crop, cam, 0.873, 'fake', size=SIZE)
    assert panel.dtype == np.uint8 and panel.shape[1] == 3 * SIZE
    assert panel.shape[0] > SIZE  # the pictures and a text strip above
    pictures = panel[-SIZE:]
    # left: the crop, upscaled bicubically
    expected = cv2.resize(crop, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)
    assert np.array_equal(pictures[:, :SIZE], expected)
    # middle: the heat map, smooth (no 128 px blocks of one colour)
    heat = pictures[:, SIZE:2 * SIZE].astype(int)
    assert len(np.unique(heat.reshape(-1, 3), axis=0)) > 50
    assert np.abs(np.diff(heat, axis=1)).max() < 40
    # right: the two blended, unlike either
    overlay = pictures[:, 2 * SIZE:]
    assert not np.array_equal(overlay, expected)
    # the strip carries text, and the score is in it
    strip = panel[:-SIZE]
    assert strip.std() > 10
    other = cam_panel(crop, cam, 0.125, 'fake', size=SIZE)[:-SIZE]
    assert not np.array_equal(strip[:, :SIZE], other[:, :SIZE])
    assert np.array_equal(strip[:, SIZE:], other[:, SIZE:])
    real = cam_panel(crop, cam, 0.873, 'real', size=SIZE)[:-SIZE]
    assert not np.array_equal(strip[:, SIZE:2 * SIZE],
                              real[:, SIZE:2 * SIZE])


def drawn_ticks(axis, limits):
    """The tick values inside the axis limits after drawing."""
    FigureCanvasAgg(axis.figure).draw()
    low, high = limits
    return [t for t in axis.get_ticklocs() if low <= t <= high]


def test_plot_training_ticks_whole_epochs(tmp_path):
    # one epoch and one validation: MaxNLocator(integer=True) alone falls
    # back to ticks such as 0.96, 0.98, 1.0
    log = tmp_path / 'scalars.json'
    log.write_text('\n'.join(json.dumps(line) for line in [
        dict(epoch=1, iter=1, loss=0.7, acc=50.0),
        dict(epoch=1, iter=2, loss=0.6, acc=60.0),
        dict(frame_auc=0.8, step=1)]))
    fig, _ = plot_training_curves(load_training_log([log]))
    for ax in fig.axes:
        ticks = drawn_ticks(ax.xaxis, ax.get_xlim())
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def quality_epoch(epoch):
    methods = ['swap', 'swap', 'reenact']
    return dict(epoch=epoch, num_hard=1, num_easy=2, hard_fraction=0.333,
                samples=dict(index=[1, 2, 3], method=methods,
                             static=[0.2, 0.5, 0.9], dynamic=[None] * 3,
                             fqs=[0.1, 0.6, 0.8],
                             easy=[True, False, True]))


def test_plot_quality_names_the_static_backend(tmp_path, demo_root):
    assert static_score_label(dict(type='SSIMSimilarityEvaluator')) == \
        'SSIM similarity'
    assert static_score_label(dict(type='IdentitySimilarityEvaluator',
                                   backend='arcface')) == \
        'ArcFace identity similarity'
    assert static_score_label(None) == 'static quality score'
    fig, _ = plot_quality_histograms(quality_epoch(1),
                                     static_label='SSIM similarity')
    static_axis = fig.axes[0]
    assert static_axis.get_xlabel() == 'SSIM similarity'
    assert 'identity' not in static_axis.get_title()
    # the run's config (as MMEngine dumps it into the work dir) names the
    # annotation, whose metainfo names the evaluator
    ann = tmp_path / 'train_static.json'
    ann.write_text(json.dumps(dict(
        metainfo=dict(static_quality_evaluator=dict(
            type='SSIMSimilarityEvaluator')), data_list=[])))
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'qc_demo.py').write_text(
        f'train_dataloader = dict(dataset=dict(data_root={str(tmp_path)!r}, '
        "ann_file='train_static.json'))\n")
    assert run_static_evaluator(str(work)) == dict(
        type='SSIMSimilarityEvaluator')
    assert run_static_evaluator(str(tmp_path / 'nowhere')) is None


def test_curriculum_timeline_ticks_whole_epochs():
    fig, _ = plot_curriculum_timeline({1: quality_epoch(1)})
    for ax in fig.axes[:2]:  # the bars and the mean FQS (not the twin)
        ticks = drawn_ticks(ax.xaxis, ax.get_xlim())
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


@pytest.mark.parametrize('record, origin', [
    (dict(img_path='/d/FaceForensics++/manipulated_sequences/Deepfakes/c23/'
          'frames/000_003/004.png'),
     dict(video='000_003', method='Deepfakes', compression='c23')),
    (dict(img_path='/d/original_sequences/youtube/c40/frames/071/000.png'),
     dict(video='071', method='real', compression='c40')),
    (dict(img_path='/d/crops/Face2Face/519_515/000.png',
          video_id='ffpp_c23/Face2Face/519_515', dataset='ffpp_c23',
          method='Face2Face'),
     dict(video='519_515', method='Face2Face', compression='c23')),
    (dict(img_path='/d/fake/blend_swap/id001_v0/000.png',
          video_id='demo/blend_swap/id001_v0', dataset='demo',
          method='blend_swap'),
     dict(video='id001_v0', method='blend_swap', compression=None)),
])
def test_frame_origin(record, origin):
    assert frame_origin(record) == origin
