"""Benchmark v3 of the synthetic demo data: smooth family-specific shortcuts
over a weak shared trace, sensor noise kept, a JPEG codec on every frame and
the oracle switch. Whether v3 is a valid test of FreDA is not checked here
(studies/benchmark_validity.py), only what the generator promises."""
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_synthetic_data import _files, _frames

import qcdet.offline.synthetic_data.generate as generate_module
from qcdet.offline.synthetic_data import (
    FORGERY_FAMILIES,
    SPLITS,
    V3_CONTROLS,
    V3_HELD_OUT,
    V3_TRAIN_FAMILIES,
    families_for,
    forgeries_v3,
    generate_demo_dataset,
    jpeg_roundtrip,
    make_fake,
)
from qcdet.offline.synthetic_data.forgeries import _composite

REPO = Path(__file__).resolve().parents[2]
TINY3 = dict(seed=3,
             num_identities=6,
             videos_per_identity=1,
             frames_per_video=2,
             size=64,
             benchmark='v3')
V3 = families_for('v3')
TRACED = [name for name in V3 if name != 'no_trace_control']
WITH_SHORTCUT = list(V3_TRAIN_FAMILIES) + ['shortcut_control']


def _records(root: Path) -> list:
    records = []
    for split in SPLITS:
        records += json.loads(
            (root / 'annotations' / f'{split}.json').read_text())['data_list']
    return records


def _image(root: Path, rel: str) -> np.ndarray:
    return cv2.imread(str(root / rel)).astype(np.float32)


@pytest.fixture(scope='module')
def v3_sets(tmp_path_factory):
    """The same arguments written four ways: normal, oracle, and both
    without the codec (to look at the fakes before it)."""
    root = tmp_path_factory.mktemp('v3')
    for name, oracle in (('normal', False), ('oracle', True)):
        generate_demo_dataset(root / name, without_shortcuts=oracle, **TINY3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate_module, 'jpeg_roundtrip',
                      lambda image, quality: image)
        for name, oracle in (('raw', False), ('raw_oracle', True)):
            generate_demo_dataset(root / name,
                                  without_shortcuts=oracle,
                                  **TINY3)
    return root


def _width(frame) -> float:
    """Face diameter in pixels (of a disc with the face's area)."""
    return 2 * np.sqrt(frame.masks['face'].sum() / np.pi)


def _band(diff: np.ndarray, width: float, low: float, high: float):
    """``diff`` (H×W×3) restricted to low <= cycles per face < high."""
    fy = np.fft.fftfreq(diff.shape[0])[:, None]
    fx = np.fft.fftfreq(diff.shape[1])[None]
    cycles = np.sqrt(fx**2 + fy**2) * width
    keep = (cycles >= low) & (cycles < high)
    spectrum = np.fft.fft2(diff, axes=(0, 1))
    return np.fft.ifft2(spectrum * keep[..., None], axes=(0, 1)).real


def _low(diff, width):
    return _band(diff, width, 0, 4)


def _share_high(diff, width) -> float:
    """Share of the energy of ``diff`` at 16 cycles per face or more."""
    high = _band(diff, width, 16, np.inf)
    return float((high**2).sum() / (diff**2).sum())


def _blocks(image: np.ndarray) -> np.ndarray:
    """H×W×3 as (H/16)×16×(W/16)×16×3: JPEG's 4:2:0 blocks."""
    size = image.shape[0]
    return image.reshape(size // 16, 16, size // 16, 16, 3)


def _v3(family, frame, q, seed, oracle=False):
    return make_fake(family,
                     frame,
                     q,
                     seed=seed,
                     benchmark='v3',
                     without_shortcuts=oracle).astype(np.float32)


def _parts(family, frame, q, seed):
    """The family's Delta, drawn as ``make_fake`` draws it."""
    impl = V3[family]
    params = impl.sample_params(np.random.default_rng([seed, 0]),
                                frame.identity)
    return impl.components(frame, q, params, np.random.default_rng([seed,
                                                                    1]))


def test_v3_families_and_roles():
    assert tuple(V3) == V3_TRAIN_FAMILIES + (V3_HELD_OUT, ) + V3_CONTROLS
    assert not set(V3) & set(FORGERY_FAMILIES)
    frame = _frames(1)[0]
    with pytest.raises(ValueError, match='needs benchmark v3'):
        make_fake('upsample', frame, 0.5, without_shortcuts=True)
    with pytest.raises(ValueError, match='needs benchmark v3'):
        generate_demo_dataset('unused', benchmark='v2', without_shortcuts=True)
    with pytest.raises(KeyError, match='unknown v3 calibration'):
        forgeries_v3.set_calibration(dict(TRACE_AMPLITUD=2.0))


def test_v3_is_deterministic_and_independent_of_workers(v3_sets, tmp_path):
    generate_demo_dataset(tmp_path / 'again', workers=2, **TINY3)
    assert _files(tmp_path / 'again') == _files(v3_sets / 'normal')
    generate_demo_dataset(tmp_path / 'other', **dict(TINY3, seed=4))
    assert _files(tmp_path / 'other')['real/id000_v0/000.png'] != _files(
        v3_sets / 'normal')['real/id000_v0/000.png']


def test_v3_annotations(v3_sets):
    for name, shortcuts in (('normal', True), ('oracle', False)):
        meta = json.loads((v3_sets / name / 'annotations' /
                           'train.json').read_text())['metainfo']
        assert meta['benchmark'] == 'v3' and meta['shortcuts'] is shortcuts
        assert meta['methods'] == ['real'] + list(V3)
        assert meta['roles'] == dict(train=list(V3_TRAIN_FAMILIES),
                                     held_out=[V3_HELD_OUT],
                                     controls=list(V3_CONTROLS))
        assert meta['calibration'] == forgeries_v3.calibration()
    records = _records(v3_sets / 'normal')
    reals = {r['img_path']: r for r in records if r['label'] == 0}
    low, high = forgeries_v3.CODEC_QUALITY
    assert all(low <= r['codec_quality'] <= high for r in records)
    fakes = [r for r in records if r['label'] == 1]
    assert len(fakes) == len(reals) * len(V3)
    for fake in fakes:
        real = reals[fake['pair_path']]  # the real frame of the same index
        assert real['frame_idx'] == fake['frame_idx']
        assert Path(real['img_path']).parent.name == Path(
            fake['img_path']).parent.name
        assert fake['codec_quality'] == real['codec_quality']
        if fake['method'] in ('neural_render', 'no_trace_control'):
            assert fake['true_quality'] == 1.0  # nothing depends on q
    for method in WITH_SHORTCUT:
        qs = {r['true_quality'] for r in fakes if r['method'] == method}
        assert len(qs) > 3 and all(0 <= q <= 1 for q in qs)


def test_oracle_changes_only_the_shortcuts(v3_sets):
    normal, oracle = _files(v3_sets / 'normal'), _files(v3_sets / 'oracle')
    assert normal.keys() == oracle.keys()
    for rel, data in normal.items():
        if rel.startswith('annotations'):
            a, b = json.loads(data), json.loads(oracle[rel])
            assert a['data_list'] == b['data_list']  # same q, codec, pairs
            assert dict(a['metainfo'], shortcuts=False) == b['metainfo']
            continue
        method = rel.split('/')[1] if rel.startswith('fake/') else None
        same = data == oracle[rel]
        # reals and the families without a shortcut are bit-identical
        assert same == (method not in WITH_SHORTCUT), rel


def test_codec_is_applied_to_reals_and_fakes_after_the_fake(
        v3_sets, tmp_path):
    """The written frames are the raw ones through JPEG at the video's
    quality, and the raw reals are v1's reals (same random streams)."""
    v1 = tmp_path / 'v1'
    generate_demo_dataset(v1,
                          **dict(TINY3, benchmark='v1', families=['upsample']))
    for record in _records(v3_sets / 'normal'):
        rel = record['img_path']
        raw = cv2.imread(str(v3_sets / 'raw' / rel))
        coded = jpeg_roundtrip(raw, record['codec_quality'])
        assert np.array_equal(coded, cv2.imread(str(v3_sets / 'normal' /
                                                     rel))), rel
        if record['label'] == 0:
            assert (v1 / rel).read_bytes() == (v3_sets / 'raw' /
                                               rel).read_bytes()
            assert np.abs(coded.astype(np.float32) - raw).mean() > 0.3


@pytest.mark.parametrize('family', list(V3))
def test_fakes_equal_the_real_outside_the_face(family, v3_sets):
    for seed, frame in enumerate(_frames(3)):
        fake = _v3(family, frame, 0.2, seed)
        outside = frame.masks['face'] < 0.01
        assert np.array_equal(fake[outside], frame.image[outside])
        inside = frame.masks['face'] > 0.5
        assert (fake[inside] != frame.image[inside]).any()
    # after the codec: JPEG mixes pixels within its 16×16 blocks (4:2:0), so
    # compare only blocks where the raw fake equals its real; tolerance 0.1
    errors = []
    for record in _records(v3_sets / 'normal'):
        if record['method'] != family:
            continue
        raw = _image(v3_sets / 'raw', record['img_path']) - _image(
            v3_sets / 'raw', record['pair_path'])
        coded = _image(v3_sets / 'normal', record['img_path']) - _image(
            v3_sets / 'normal', record['pair_path'])
        untouched = (_blocks(raw) == 0).all((1, 3, 4))
        errors.append(
            np.abs(_blocks(coded)).transpose(0, 2, 1, 3, 4)[untouched].ravel())
    errors = np.concatenate(errors)
    assert errors.size and errors.mean() < 0.1, errors.mean()


@pytest.mark.parametrize('family', WITH_SHORTCUT)
def test_shortcut_grows_as_quality_falls_and_the_oracle_drops_it(family):
    for seed, frame in enumerate(_frames(3)):
        width = _width(frame)
        face = frame.masks['face'] > 0.5
        real = frame.image.astype(np.float32)

        def low(fake):
            return float((_low(fake - real, width)[face]**2).mean())

        energy = [low(_v3(family, frame, q, seed)) for q in (0, .25, .5, 1)]
        assert all(a > b for a, b in zip(energy, energy[1:])), energy
        oracle = low(_v3(family, frame, 0., seed, oracle=True))
        assert oracle < 0.01 * energy[-1], (oracle, energy)  # floor at q=1
        assert energy[0] > 10 * energy[-1]
        parts = {q: _parts(family, frame, q, seed) for q in (0., 1.)}
        # only the shortcut depends on q; the trace is the same bit for bit
        assert np.array_equal(parts[0.].trace, parts[1.].trace)
        assert not np.array_equal(parts[0.].shortcut, parts[1.].shortcut)
        assert np.array_equal(parts[0.].total(shortcuts=False),
                              parts[0.].trace + parts[0.].decoy)


@pytest.mark.parametrize('family', WITH_SHORTCUT)
def test_shortcuts_are_smooth_and_strong(family):
    for seed, frame in enumerate(_frames(3)):
        shortcut = _parts(family, frame, 0., seed).shortcut
        width = _width(frame)
        share_low = (_low(shortcut, width)**2).sum() / (shortcut**2).sum()
        assert share_low > 0.95, share_low  # below 4 cycles per face
        peak = np.abs(shortcut).max()
        assert 15 < peak < 65, peak  # grey levels at q = 0


@pytest.mark.parametrize('family', V3_TRAIN_FAMILIES)
def test_shortcuts_do_not_clip_the_face(family):
    """Clipping at 0 or 255 would flatten the sensor noise where the
    shortcut is strong (a high-frequency cue FreDA cannot remove): fakes
    saturate no more face pixels than their reals."""
    saturated = {'real': [], 'fake': []}
    for seed, frame in enumerate(_frames(12)):
        face = frame.masks['face'] > 0.5
        for key, image in (('real', frame.image),
                           ('fake', _v3(family, frame, 0., seed))):
            saturated[key].append(((image == 0) | (image == 255))[face].mean())
    assert np.mean(saturated['fake']) < np.mean(saturated['real']) + 2e-3, (
        saturated)


def test_training_shortcuts_differ():
    for seed, frame in enumerate(_frames(3)):
        cues = {
            f: _parts(f, frame, 0.2, seed).shortcut
            for f in V3_TRAIN_FAMILIES
        }
        for i, a in enumerate(V3_TRAIN_FAMILIES):
            for b in V3_TRAIN_FAMILIES[i + 1:]:
                assert np.abs(cues[a] - cues[b]).mean() > 2.0, (a, b)
                corr = np.corrcoef(cues[a].ravel(), cues[b].ravel())[0, 1]
                assert abs(corr) < 0.8, (a, b, corr)


def test_shortcut_control_has_colour_swaps_shortcut_and_heldout_trace():
    frame = _frames(1)[0]
    rng = np.random.default_rng(5)
    offset = dict(offset=(30., -20., 10.))
    swap = V3['colour_swap'].components(
        frame, 0.3, dict(offset, tile=forgeries_v3.sample_tile(rng)), rng)
    control = V3['shortcut_control'].components(
        frame, 0.3,
        dict(offset, kernels=forgeries_v3.sample_deconv_kernels(rng)), rng)
    assert np.array_equal(swap.shortcut, control.shortcut)  # the same code
    # the same per-video draws (the offset comes first from the same stream)
    params = [
        V3[f].sample_params(np.random.default_rng(9), frame.identity)
        for f in ('colour_swap', 'shortcut_control')
    ]
    assert params[0]['offset'] == params[1]['offset']


@pytest.mark.parametrize('family', TRACED)
def test_trace_is_high_frequency_luminance_of_its_amplitude(family):
    amplitude = (forgeries_v3.TRACE_AMPLITUDE if family in V3_TRAIN_FAMILIES
                 else forgeries_v3.HELD_OUT_TRACE_AMPLITUDE)
    for seed, frame in enumerate(_frames(3)):
        trace = _parts(family, frame, 0.5, seed).trace
        assert np.array_equal(trace[..., 0], trace[..., 1])
        assert np.array_equal(trace[..., 0], trace[..., 2])
        core = frame.masks['face'] > 0.99
        rms = np.sqrt((trace[core]**2).mean())
        assert 0.9 * amplitude < rms < 1.1 * amplitude, rms
        # what the fake without its shortcut adds to the real, rounding
        # included
        diff = _v3(family, frame, 0.5, seed, oracle=True) - frame.image
        width = _width(frame)
        assert _share_high(diff, width) > 0.9
        assert (_low(diff, width)**2).sum() < 0.02 * (diff**2).sum()
        rms = np.sqrt((diff[core]**2).mean())
        assert amplitude < rms < 1.2 * amplitude, rms


def _tile_variation(trace: np.ndarray, core: np.ndarray) -> float:
    """Share of a trace's energy on ``core`` that one repeated 2×2 tile (the
    mean of its 2×2 cells) does not explain: 0 for a tiled pattern."""
    size = trace.shape[0] // 2 * 2
    cells = trace[:size, :size].reshape(size // 2, 2, size // 2, 2)
    cells = cells.transpose(0, 2, 1, 3).reshape(size // 2, size // 2, 4)
    inside = core[:size, :size].reshape(size // 2, 2, size // 2,
                                        2).all((1, 3))
    tiles = cells[inside]
    return float(((tiles - tiles.mean(0))**2).sum() / (tiles**2).sum())


def test_held_out_trace_is_not_a_tiled_pattern():
    """Training traces repeat one 2×2 tile; neural_render's local 2×2
    pattern changes across the face (period-2 structure, not a tile)."""
    for seed, frame in enumerate(_frames(4)):
        # well inside the face, where the trace's soft mask is 1
        core = cv2.erode((frame.masks['face'] > 0.99).astype(np.uint8),
                         np.ones((7, 7), np.uint8)) > 0
        for family in ('colour_swap', 'neural_render', 'shortcut_control'):
            trace = _parts(family, frame, 0.5, seed).trace[..., 0]
            variation = _tile_variation(trace, core)
            if family == 'colour_swap':
                assert variation < 1e-4, variation
            else:
                assert variation > 0.05, (family, variation)


def _residual_std(image: np.ndarray, frame, smooth=None) -> float:
    """Std of a high-pass residual on the frame's flat skin, i.e. of the
    noise there: where neither the clean render nor ``smooth`` (a fake's
    shortcut, whose soft edge a high-pass would pick up) has detail."""
    flat = frame.masks['face'] > 0.9
    for field in (frame.clean, smooth):
        if field is not None:
            detail = field - cv2.GaussianBlur(field, (0, 0), 1.0)
            flat &= np.abs(detail).max(-1) < 0.5
    image = image.astype(np.float32)
    return float((image - cv2.GaussianBlur(image, (0, 0), 1.0))[flat].std())


@pytest.mark.parametrize('family', list(V3))
def test_face_noise_of_fakes_matches_reals(family):
    """v2's failure was fakes that lost the sensor noise inside the face.
    On flat skin a v3 fake's residual (its trace subtracted) has the real's
    std, and with the trace it is not lower."""
    ratios = []
    for seed, frame in enumerate(_frames(4)):
        parts = _parts(family, frame, 0.2, seed)
        smooth = parts.shortcut + parts.decoy
        real = _residual_std(frame.image, frame, smooth)
        fake = _v3(family, frame, 0.2, seed)
        ratios.append(_residual_std(fake - parts.trace, frame, smooth) / real)
        assert _residual_std(fake, frame, smooth) > 0.98 * real  # none lost
    assert 0.97 < np.mean(ratios) < 1.03, ratios


def test_the_noise_check_fails_on_v2s_composite():
    """v2's families end in ``_composite`` of a smoothed face; even a light
    blur (a high-quality v2 fake) fails the check above."""
    for frame in _frames(4):
        smoothed = cv2.GaussianBlur(frame.image.astype(np.float32), (0, 0),
                                    0.6)
        fake = _composite(frame.image, smoothed, frame.masks['face'])
        ratio = _residual_std(fake, frame) / _residual_std(frame.image, frame)
        assert ratio < 0.8, ratio


@pytest.mark.parametrize('family, bound', [('neural_render', 0.1),
                                           ('no_trace_control', 0.3)])
def test_held_out_families_have_no_low_frequency_difference(family, bound):
    """Mean |low band of fake - real| in the face: near 0 for neural_render,
    below a grey level for no_trace_control's decoy, vs. a training family's
    floor at q = 1."""
    for seed, frame in enumerate(_frames(3)):
        width = _width(frame)
        face = frame.masks['face'] > 0.5
        real = frame.image.astype(np.float32)
        low = np.abs(_low(_v3(family, frame, 0., seed) - real, width))[face]
        floor = np.abs(
            _low(_v3('colour_swap', frame, 1., seed) - real, width))[face]
        assert low.mean() < bound < floor.mean(), (low.mean(), floor.mean())


def test_trace_survives_the_codec(v3_sets):
    """Share of the raw trace (the oracle fake's high band) still in the
    written fake: what a detector can learn after the codec."""
    kept = {}
    for record in _records(v3_sets / 'oracle'):
        if record['method'] not in TRACED:
            continue
        diff = {
            name: _image(v3_sets / name, record['img_path']) -
            _image(v3_sets / name, record['pair_path'])
            for name in ('raw_oracle', 'oracle')
        }
        # 38 px: a typical face diameter at 64 px
        raw = _band(diff['raw_oracle'], 38., 16, np.inf)
        coded = _band(diff['oracle'], 38., 16, np.inf)
        kept.setdefault(record['method'], []).append(
            (raw * coded).sum() / (raw**2).sum())
    for family, values in kept.items():
        assert 0.4 < np.mean(values) < 1.1, (family, values)


def test_calibration_reaches_the_workers(tmp_path):
    before = forgeries_v3.calibration()
    args = dict(TINY3, num_identities=3, frames_per_video=1,
                families=['neural_render'])
    try:
        forgeries_v3.set_calibration(dict(HELD_OUT_TRACE_AMPLITUDE=4.0))
        generate_demo_dataset(tmp_path / 'one', **args)
        generate_demo_dataset(tmp_path / 'two', workers=2, **args)
    finally:
        forgeries_v3.set_calibration(before)
    assert _files(tmp_path / 'one') == _files(tmp_path / 'two')
    meta = json.loads((tmp_path / 'two' / 'annotations' /
                       'train.json').read_text())['metainfo']
    assert meta['calibration']['HELD_OUT_TRACE_AMPLITUDE'] == 4.0
    assert forgeries_v3.calibration() == before


def test_make_demo_data_benchmark_v3(tmp_path, capsys):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    command = [
        sys.executable, 'tools/data/make_demo_data.py', '--out',
        str(tmp_path / 'demo'), '--num-identities', '3',
        '--frames-per-video', '1', '--size', '32', '--families',
        'neural_render', 'relight', '--benchmark', 'v3'
    ]
    proc = subprocess.run(command + ['--without-shortcuts'],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'benchmark v3 without shortcuts' in proc.stdout
    metainfo = json.loads((tmp_path / 'demo' / 'annotations' /
                           'train.json').read_text())['metainfo']
    assert metainfo['benchmark'] == 'v3' and metainfo['shortcuts'] is False
    assert metainfo['methods'] == ['real', 'neural_render', 'relight']
    tool = runpy.run_path(str(REPO / 'tools/data/make_demo_data.py'))
    with pytest.raises(SystemExit) as error:
        tool['parse_args'](['--without-shortcuts'])  # v2, the default
    assert error.value.code == 2
    assert 'needs --benchmark v3' in capsys.readouterr().err
