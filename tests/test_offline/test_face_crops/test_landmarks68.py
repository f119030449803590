"""``preprocess.py --landmarks``: dlib's 68 points of every crop in the
crop's pixels, in each record as ``landmarks``.

The coordinate transform is checked exactly on a synthetic frame (a known
similarity, and bright dots drawn in the frame found again in the stored
crop), the option end to end on small generated videos (off: records
unchanged; on: resume, counted failures) and on the shared FF++ clips (the
points lie in the crop and outline the face)."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from qcdet.faces import (
    FaceCropper,
    FaceDetection,
    arcface_template,
    estimate_similarity_transform,
    landmarks68_to_arcface5,
)
from qcdet.offline.face_crops import (
    build_layout,
    format_summary,
    landmarks68_in_crop,
    pipeline,
    preprocess_dataset,
)
from qcdet.utils.video import read_frames

pytest.importorskip('dlib', reason='dlib-bin is not installed')
pytest.importorskip('face_recognition_models',
                    reason='face_recognition_models is not installed')

REPO = Path(__file__).resolve().parents[3]
SIZE = 128
RUN = dict(num_frames=4, size=SIZE, detector='dlib', progress=False)


# ------------------------------------------------------------ synthetic
def similarity(scale, degrees, tx, ty):
    """2x3 matrix of x -> scale * R(degrees) x + t."""
    a = np.deg2rad(degrees)
    rot = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([rot, [[tx], [ty]]])


def invert(matrix):
    inv = np.linalg.inv(matrix[:, :2])
    return np.hstack([inv, -inv @ matrix[:, 2:]])


def apply(matrix, points):
    return np.asarray(points) @ matrix[:, :2].T + matrix[:, 2]


def face68_around(anchors5, rng):
    """68 points whose eye centres, nose tip and mouth corners are exactly
    ``anchors5`` (ArcFace order), the other points spread around the face
    at least ~7 px apart."""
    left_eye, right_eye, nose, left_mouth, right_mouth = anchors5
    eyes = np.linalg.norm(right_eye - left_eye)
    points = np.zeros((68, 2))
    ring = np.linspace(0, 2 * np.pi, 6, endpoint=False) + 0.3
    hexagon = 0.22 * eyes * np.c_[np.cos(ring), np.sin(ring)]
    points[36:42] = left_eye + hexagon
    points[42:48] = right_eye + hexagon
    points[30], points[48], points[54] = nose, left_mouth, right_mouth
    centre = anchors5.mean(axis=0)
    rest = [i for i in range(68) if points[i].any() == 0]
    angles = np.linspace(0, 2 * np.pi, len(rest), endpoint=False)
    radius = 1.25 * eyes + 0.2 * eyes * (np.arange(len(rest)) % 3)
    points[rest] = centre + np.c_[radius * np.cos(angles),
                                  radius * np.sin(angles)]
    points[rest] += rng.uniform(-0.5, 0.5, (len(rest), 2))
    assert np.allclose(landmarks68_to_arcface5(points), anchors5)
    return points


def draw_dots(shape, points, sigma):
    """Gaussian dots at sub-pixel ``points`` (pixel centres at integer
    coordinates, as OpenCV's warps have them)."""
    yy, xx = np.mgrid[:shape[0], :shape[1]].astype(np.float64)
    image = np.zeros(shape[:2])
    for x, y in points:
        image += np.exp(-((xx - x)**2 + (yy - y)**2) / (2 * sigma**2))
    image = np.clip(255 * image, 0, 255).astype(np.uint8)
    return cv2.merge([image] * 3)


def centroid_near(image, point, radius=3):
    x0, y0 = (int(round(v)) for v in point)
    patch = image[y0 - radius:y0 + radius + 1,
                  x0 - radius:x0 + radius + 1, 1].astype(np.float64)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return np.array([x0 + (patch * xx).sum() / patch.sum(),
                     y0 + (patch * yy).sum() / patch.sum()])


@pytest.fixture(scope='module')
def cropper():
    return FaceCropper('dlib', size=SIZE, margin=1.3)


@pytest.mark.parametrize('degrees', [0.0, 17.0, -31.0])
def test_crop_coordinates_are_exact(cropper, monkeypatch, degrees):
    """Frame -> crop is the similarity that put the 5 landmarks on the
    template: known here, so the stored points are checked against it, and
    against where the dots drawn at them ended up in the crop's pixels."""
    rng = np.random.default_rng(int(degrees) + 100)
    template = arcface_template(SIZE, 1.3)
    known = similarity(0.55, degrees, 0, 0)  # frame -> crop
    # the face centred on frame point (180.6, 140.2)
    known[:, 2] = template.mean(axis=0) - apply(known, [[180.6, 140.2]])[0]
    anchors = apply(invert(known), template)
    points = face68_around(anchors, rng)
    frame = draw_dots((320, 400), points, sigma=1.6)
    face = FaceDetection(box=np.r_[points.min(0), points.max(0)], score=1.0,
                         landmarks=anchors)
    monkeypatch.setattr(cropper, 'landmarks68', lambda f, box: points.copy())

    crop = cropper.crop(frame, face)
    in_crop, why = landmarks68_in_crop(cropper, frame, face, crop.matrix)
    assert why is None and in_crop.shape == (68, 2)
    # the 5 alignment points land on the template, the 68 where the known
    # similarity sends them
    assert np.allclose(crop.matrix, known, atol=1e-9)
    assert np.allclose(in_crop, apply(known, points), atol=1e-9)
    # and that is where the warped crop shows them (no half-pixel shift)
    inside = ((in_crop > 4) & (in_crop < SIZE - 5)).all(axis=1)
    assert inside.sum() >= 60
    found = np.array([centroid_near(crop.image, p) for p in in_crop[inside]])
    err = np.linalg.norm(found - in_crop[inside], axis=1)
    assert err.max() < 0.2, err.max()


def test_a_fit_off_the_face_or_a_dlib_error_is_not_found(cropper,
                                                         monkeypatch):
    anchors = arcface_template(SIZE, 1.3) + 50
    points = face68_around(anchors, np.random.default_rng(0))
    face = FaceDetection(box=np.array([0, 0, 200, 200.]), score=1.0,
                         landmarks=anchors)
    frame = np.zeros((240, 240, 3), np.uint8)
    eyes = np.linalg.norm(anchors[1] - anchors[0])
    monkeypatch.setattr(cropper, 'landmarks68',
                        lambda f, box: points + [0.3 * eyes, 0])
    in_crop, why = landmarks68_in_crop(cropper, frame, face, np.eye(2, 3))
    assert why is None  # a little off: kept
    assert np.allclose(in_crop, points + [0.3 * eyes, 0])
    monkeypatch.setattr(cropper, 'landmarks68', lambda f, box: points + eyes)
    assert landmarks68_in_crop(cropper, frame, face, np.eye(2, 3)) == (
        None, 'the 68-point fit is 1.41 inter-ocular distances off the '
        'alignment points')

    def broken(f, box):
        raise RuntimeError('bad image')
    monkeypatch.setattr(cropper, 'landmarks68', broken)
    assert landmarks68_in_crop(cropper, frame, face, np.eye(2, 3)) == (
        None, 'dlib failed (RuntimeError: bad image)')


# --------------------------------------------------- generated videos
def records_of(out):
    records = []
    for split in ('train', 'val', 'test'):
        with open(out / 'annotations' / f'{split}.json') as f:
            records += json.load(f)['data_list']
    return records


@pytest.fixture(scope='module')
def runs(ffpp_root, tmp_path_factory):
    layout = build_layout('ffpp', ffpp_root)
    off = tmp_path_factory.mktemp('off')
    on = tmp_path_factory.mktemp('on')
    return (off, preprocess_dataset(layout, str(off), **RUN),
            on, preprocess_dataset(layout, str(on), landmarks=True, **RUN))


def test_off_by_default_and_records_unchanged(runs):
    off, off_summary, on, on_summary = runs
    off_records, on_records = records_of(off), records_of(on)
    assert len(off_records) == 12
    assert not any('landmarks' in r for r in off_records)
    assert 'landmarks68' not in off_summary
    # the option adds one key and changes nothing else
    assert [{k: v for k, v in r.items() if k != 'landmarks'}
            for r in on_records] == off_records
    for kind in ('crops', 'landmarks', 'masks'):
        for path in (off / kind).rglob('*'):
            if path.is_file():
                twin = on / path.relative_to(off)
                assert path.read_bytes() == twin.read_bytes(), path


def test_every_record_has_its_crop_points(runs, ffpp_root):
    """Each record's points are dlib's fit of that frame (a fake's own
    pixels, in its real's face box) sent through the crop's transform."""
    _, _, on, summary = runs
    assert summary['landmarks68'] is True
    assert (summary['frames_with_landmarks'],
            summary['frames_no_landmarks']) == (12, 0)
    assert '68-point landmarks: 12/12 frames' in format_summary(summary)
    predictor = FaceCropper('dlib', size=SIZE)
    layout = {it.key: it for it in build_layout('ffpp', ffpp_root).items()}
    by_video = {}
    for record in records_of(on):
        by_video.setdefault(record['video_id'], []).append(record)
    assert len(by_video) == 3
    for video_id, records in by_video.items():
        key = video_id.split('/', 1)[1]
        marker = json.loads((on / 'done' / f'{key}.json').read_text())
        assert marker['landmarks68'] and marker['frames_no_landmarks'] == 0
        frames = read_frames(layout[key].path,
                             [r['frame_idx'] for r in records])
        for record in records:
            points = np.array(record['landmarks'])
            assert points.shape == (68, 2)
            face = marker['faces'][str(record['frame_idx'])]
            matrix = estimate_similarity_transform(
                face['landmarks'], arcface_template(SIZE, 1.3))
            expected = apply(matrix, predictor.landmarks68(
                frames[record['frame_idx']], face['box']))
            assert np.abs(points - expected).max() <= 0.005 + 1e-9
            # the same transform as the stored 5-point file
            five = np.load(on / record['landmarks_path'])
            assert np.abs(apply(matrix, face['landmarks']) - five).max() \
                < 1e-3


def test_landmarks_on_an_earlier_run_redo_its_videos(runs, ffpp_root,
                                                     tmp_path):
    off = tmp_path / 'out'
    layout = build_layout('ffpp', ffpp_root)
    preprocess_dataset(layout, str(off), **RUN)
    again = preprocess_dataset(layout, str(off), landmarks=True, **RUN)
    assert again['skipped_already_done'] == 0
    assert again['frames_with_landmarks'] == 12
    assert records_of(off) == records_of(runs[2])
    # and a third run, with or without the option, redoes nothing
    for landmarks in (True, False):
        third = preprocess_dataset(layout, str(off), landmarks=landmarks,
                                   **RUN)
        assert third['skipped_already_done'] == 3
    assert records_of(off) == records_of(runs[2])


def test_frames_without_landmarks_are_counted_and_kept(ffpp_root, tmp_path,
                                                       monkeypatch):
    """Every fit rejected: the run completes, every record is kept without
    the key, the frames are counted and listed."""
    monkeypatch.setattr(pipeline, 'LANDMARKS68_MAX_DISAGREEMENT', -1.0)
    summary = preprocess_dataset(build_layout('ffpp', ffpp_root),
                                 str(tmp_path), landmarks=True, **RUN)
    assert summary['done'] == 3 and summary['annotation_frames']['train'] == \
        12
    assert (summary['frames_with_landmarks'],
            summary['frames_no_landmarks']) == (0, 12)
    assert sorted(summary['no_landmarks']) == [
        'Deepfakes/000_001', 'Face2Face/005_006', 'real/000']
    assert not any('landmarks' in r for r in records_of(tmp_path))
    text = format_summary(summary)
    assert '(12 without: records kept' in text
    assert 'no landmarks real/000 frame 0: the 68-point fit is' in text
    marker = json.loads((tmp_path / 'done' / 'real' / '000.json').read_text())
    assert marker['frames_no_landmarks'] == 4
    assert any('without 68-point landmarks' in n for n in marker['notes'])


def test_cli_flag():
    spec = importlib.util.spec_from_file_location(
        'preprocess_tool_lm', REPO / 'tools' / 'data' / 'preprocess.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    base = ['--dataset', 'ffpp', '--root', 'r', '--out', 'o']
    assert tool.parse_args(base).landmarks is False
    assert tool.parse_args(base + ['--landmarks']).landmarks is True


# ----------------------------------------------------- shared FF++ clips
@pytest.fixture(scope='module')
def shared_ffpp_run(shared_data, tmp_path_factory):
    root = shared_data / 'icpr2020dfdc' / 'ffpp'
    if not root.is_dir():
        pytest.skip(f'shared FF++ clips absent: {root}')
    out = tmp_path_factory.mktemp('ffpp_landmarks')
    summary = preprocess_dataset(
        build_layout('ffpp', root,
                     splits_dir=shared_data / 'faceforensics-examples' /
                     'splits'),
        str(out), num_frames=3, size=256, landmarks=True, progress=False)
    return out, summary, records_of(out)


def test_shared_ffpp_points_outline_the_face(shared_ffpp_run):
    out, summary, records = shared_ffpp_run
    assert summary['done'] == 7 and len(records) == 21
    assert summary['frames_no_landmarks'] == 0, summary['no_landmarks']
    for record in records:
        points = np.array(record['landmarks'])
        assert points.shape == (68, 2)
        where = record['img_path']
        assert ((points >= 0) & (points < 256)).all(), where  # in the crop
        eyes, nose, mouth = points[36:48], points[27:36], points[48:68]
        jaw, brows = points[0:17], points[17:27]
        # top to bottom: brows, eyes, nose, mouth, chin
        assert brows[:, 1].mean() < eyes[:, 1].mean() < nose[:, 1].mean() \
            < mouth[:, 1].mean() < jaw[8, 1], where
        assert eyes[:, 1].max() < mouth[:, 1].min(), where
        # left to right: jaw's start, left eye, right eye, jaw's end
        assert jaw[0, 0] < points[36:42, 0].mean() < \
            points[42:48, 0].mean() < jaw[16, 0], where
        # centred across; down, a little below the middle (the ArcFace
        # template has the eyes at 46 % of the height, the 68 points no
        # forehead); a face-sized hull holding the 5 alignment points
        mean_x, mean_y = points.mean(axis=0) / 256
        assert 0.42 < mean_x < 0.58 and 0.55 < mean_y < 0.72, where
        hull = cv2.convexHull(points.astype(np.float32))
        assert 0.2 < cv2.contourArea(hull) / 256**2 < 0.75, where
        for p in np.load(out / record['landmarks_path']):
            assert cv2.pointPolygonTest(hull, tuple(map(float, p)),
                                        False) > 0, where
