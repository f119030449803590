"""tools/infer.py on the real FF++ and DFDC clips, a faceless image, a
corrupt file and DFDC-style footage, with a freshly trained demo
checkpoint."""
import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import dfdc_footage
from qcdet.apis import FAKE_COLOR, REAL_COLOR, DeepfakeInferencer
from qcdet.faces import DlibHOGDetector, box_iou

REPO = Path(__file__).resolve().parents[2]

FFPP_VIDEO = ('icpr2020dfdc/ffpp/original_sequences/youtube/c23/videos/'
              '004.mp4')
DFDC_VIDEOS = 'cvit-dfdc-faces/videos'


@pytest.fixture(scope='module')
def checkpoint(demo_root, tmp_path_factory, cli):
    work = tmp_path_factory.mktemp('infer_train')
    cli.train('configs/baseline_demo.py', work, demo_root,
              **{'train_cfg.max_epochs': 1})
    return work / 'epoch_1.pth'


def read_frame(path, index):
    capture = cv2.VideoCapture(str(path))
    for _ in range(index + 1):
        ok, frame = capture.read()
        assert ok
    capture.release()
    return frame


@pytest.mark.slow
def test_infer_real_clips(checkpoint, shared_data, tmp_path, cli):
    ffpp = shared_data / FFPP_VIDEO
    dfdc = shared_data / DFDC_VIDEOS
    dfdc_videos = sorted(dfdc.glob('*.mp4'))
    if not ffpp.is_file() or not dfdc_videos:
        pytest.skip(f'shared FF++/DFDC clips absent under {shared_data}')
    blank = tmp_path / 'blank.png'
    cv2.imwrite(str(blank), np.full((90, 120, 3), 127, np.uint8))
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(b'\x00' * 64)
    out = tmp_path / 'results.json'
    show = tmp_path / 'show'
    log = cli.run([
        cli.python, 'tools/infer.py', 'configs/baseline_demo.py',
        str(checkpoint), str(ffpp), str(dfdc), str(blank), str(corrupt),
        '--num-frames', '2', '--detector', 'retinaface', '--out', str(out),
        '--show-dir', str(show)
    ])
    records = {r['path']: r for r in json.loads(out.read_text())}
    # a folder contributes its videos (and skips the metadata JSON)
    assert set(records) == {str(p) for p in [ffpp, *dfdc_videos, blank,
                                             corrupt]}
    assert 'skipped 1 file(s)' in log

    for video in [ffpp, *dfdc_videos]:
        record = records[str(video)]
        assert record['type'] == 'video' and record['reason'] is None
        assert record['frames_used'] == 2 and record['faces_found'] >= 1
        frame_scores = [f['score'] for f in record['frame_scores']
                        if f['score'] is not None]
        assert record['score'] == pytest.approx(np.mean(frame_scores))
        assert record['label'] == ('fake' if record['score'] > 0.5
                                   else 'real')
        assert sorted(record['annotated']) == [
            str(show / f'{video.stem}.mp4'), str(show / f'{video.stem}.png')]

    # the annotated still of the FF++ clip: the box is drawn on the face
    record = records[str(ffpp)]
    first = next(f for f in record['frame_scores'] if f['box'])
    x1, y1, x2, y2 = (int(round(v)) for v in first['box'])
    frame = read_frame(ffpp, first['frame_idx'])
    still = cv2.imread(str(show / f'{ffpp.stem}.png'))
    assert still.shape == frame.shape
    colour = FAKE_COLOR if first['score'] > 0.5 else REAL_COLOR
    left_edge = still[(y1 + y2) // 2, x1]
    assert tuple(left_edge) == colour
    assert tuple(frame[(y1 + y2) // 2, x1]) != colour
    # ... where an independent detector (dlib HOG) also finds the face
    dlib_faces = DlibHOGDetector(upsample_num_times=0, scale=0.5)(frame)
    assert max(box_iou(first['box'], f.box) for f in dlib_faces) > 0.5

    assert records[str(blank)]['score'] is None
    assert 'no face' in records[str(blank)]['reason']
    assert records[str(corrupt)]['score'] is None
    assert 'cannot decode' in records[str(corrupt)]['reason']


# pasted DFDC faces that dlib HOG missed both at full resolution and at
# 512 px (benchmarks/dfdc_footage.py, seed 0)
DLIB_MISSED = [0, 26, 31, 34, 42, 51, 53, 54, 55]


@pytest.mark.slow
def test_default_flags_score_dfdc_style_video(checkpoint, shared_data,
                                              tmp_path, monkeypatch):
    faces = dfdc_footage.face_crop_paths(shared_data)
    if len(faces) <= max(DLIB_MISSED):
        pytest.skip(f'DFDC face crops absent under {shared_data}')
    frames = [frame for i, (frame, _) in enumerate(
        dfdc_footage.pasted_face_frames(faces)) if i in DLIB_MISSED]
    video = dfdc_footage.write_h264(tmp_path / 'dim_portrait.mp4', frames)

    spec = importlib.util.spec_from_file_location('infer_tool',
                                                  REPO / 'tools/infer.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['infer.py', 'cfg', 'ckpt', 'in'])
    defaults = tool.parse_args()
    record = DeepfakeInferencer(
        'configs/baseline_demo.py', str(checkpoint), device='cpu',
        detector=defaults.detector, num_frames=defaults.num_frames)(video)
    assert defaults.detector == 'cascade'
    assert record['score'] is not None and record['reason'] is None
    assert record['faces_found'] == record['frames_used'] == 9

    old_default = DeepfakeInferencer('configs/baseline_demo.py',
                                     str(checkpoint), device='cpu',
                                     detector='dlib')(video)
    assert old_default['score'] is None
    assert old_default['reason'] == 'no face found in 9 frame(s)'
