import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from qcdet.datasets.annotation_file import resolve_data_root
from qcdet.offline import static_quality as static_scoring
from qcdet.offline.quality_evaluators import SSIMSimilarityEvaluator
from qcdet.offline.static_quality import (
    evaluator_config,
    partial_path,
    score_annotation,
)

SSIM_CFG = evaluator_config('ssim')
REPO = Path(__file__).resolve().parents[2]
# method -> noise strength of each of its fakes
NOISE = {'A': [4, 16, 40, 90], 'B': [10]}


def smooth_image(seed, size=48):
    noise = np.random.default_rng(seed).uniform(0, 255, (size, size, 3))
    blurred = cv2.GaussianBlur(noise.astype(np.float32), (0, 0), 2)
    blurred = (blurred - blurred.min()) / (blurred.max() - blurred.min())
    return (blurred * 255).astype(np.uint8)


@pytest.fixture
def dataset(tmp_path):
    """A demo-like layout: <root>/annotations/train.json, frames/*.png."""
    root = tmp_path / 'demo'
    (root / 'frames').mkdir(parents=True)
    records = []
    seed = 0
    for method, strengths in NOISE.items():
        for strength in strengths:
            seed += 1
            real = smooth_image(seed)
            noise = np.random.default_rng(100 + seed).normal(
                0, strength, real.shape)
            fake = np.clip(real + noise, 0, 255).astype(np.uint8)
            cv2.imwrite(str(root / f'frames/real_{seed}.png'), real)
            cv2.imwrite(str(root / f'frames/fake_{seed}.png'), fake)
            records.append(
                dict(img_path=f'frames/real_{seed}.png',
                     label=0,
                     method='real',
                     pair_path=None))
            records.append(
                dict(img_path=f'frames/fake_{seed}.png',
                     label=1,
                     method=method,
                     pair_path=f'frames/real_{seed}.png',
                     noise=strength))
    # fakes that cannot be scored
    records.append(
        dict(img_path='frames/fake_1.png', label=1, method='A',
             pair_path=None))
    records.append(
        dict(img_path='frames/fake_1.png',
             label=1,
             method='B',
             pair_path='frames/gone.png'))
    ann = root / 'annotations' / 'train.json'
    ann.parent.mkdir()
    ann.write_text(
        json.dumps(
            dict(metainfo=dict(dataset='toy', classes=['real', 'fake']),
                 data_list=records)))
    return ann


def run(ann, out_name='scored.json', **kwargs):
    out = ann.parent / out_name
    kwargs.setdefault('progress', False)
    report = score_annotation(ann, out, SSIM_CFG, **kwargs)
    return json.loads(out.read_text()), report


def test_scores_fallbacks_and_report(dataset):
    original_text = dataset.read_text()
    out, report = run(dataset)
    records = out['data_list']
    assert out['metainfo']['dataset'] == 'toy'
    assert out['metainfo']['static_quality_evaluator'] == SSIM_CFG
    assert dataset.read_text() == original_text  # input untouched
    assert not partial_path(dataset.parent / 'scored.json').exists()

    for record in records:
        if record['label'] == 0:
            assert record['static_quality'] is None
            assert record['static_quality_fallback'] is False

    scored = [
        r for r in records
        if r['label'] == 1 and not r['static_quality_fallback']
    ]
    assert len(scored) == 5
    method_a = sorted((r for r in scored if r['method'] == 'A'),
                      key=lambda r: r['noise'])
    scores_a = [r['static_quality'] for r in method_a]
    assert all(a > b for a, b in zip(scores_a, scores_a[1:]))
    assert all(0 <= s <= 1 for s in scores_a)

    fallbacks = [r for r in records if r['static_quality_fallback']]
    assert len(fallbacks) == 2
    # one global median, the same for every method: q carries no method label
    by_method = {r['method']: r['static_quality'] for r in fallbacks}
    all_scores = [r['static_quality'] for r in scored]
    assert set(by_method) == {'A', 'B'}
    assert by_method['A'] == by_method['B'] == pytest.approx(
        float(np.median(all_scores)))
    assert report['fallback_value'] == pytest.approx(by_method['A'])

    assert report['failures'] == {'no pair_path': 1, 'missing pair file': 1}
    assert report['per_method']['A']['count'] == 4
    assert report['per_method']['A']['fallbacks'] == 1
    assert report['per_method']['A']['max'] == pytest.approx(scores_a[0])
    assert 'no pair_path: 1' in static_scoring.format_report(report)


def test_constant_fallback_and_missing_fake(dataset):
    annotation = json.loads(dataset.read_text())
    annotation['data_list'].append(
        dict(img_path='frames/nope.png',
             label=1,
             method='C',
             pair_path='frames/real_1.png'))
    dataset.write_text(json.dumps(annotation))
    out, report = run(dataset, fallback=0.3)
    fallbacks = [
        r['static_quality'] for r in out['data_list']
        if r['static_quality_fallback']
    ]
    assert fallbacks == [0.3, 0.3, 0.3]
    assert report['failures']['missing fake file'] == 1


def test_resume_skips_finished_pairs(dataset, monkeypatch):
    expected, _ = run(dataset, out_name='uninterrupted.json')

    calls = []
    real_score = SSIMSimilarityEvaluator.score

    def interrupted_score(self, fake, real):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(1)
        return real_score(self, fake, real)

    monkeypatch.setattr(SSIMSimilarityEvaluator, 'score', interrupted_score)
    out = dataset.parent / 'scored.json'
    with pytest.raises(KeyboardInterrupt):
        score_annotation(dataset, out, SSIM_CFG, progress=False)
    assert not out.exists()
    assert len(partial_path(out).read_text().splitlines()) == 1 + 3

    calls.clear()
    resumed, report = run(dataset)
    assert len(calls) == 5 - 3  # only the pairs not finished before
    assert report['num_resumed'] == 3
    assert resumed['data_list'] == expected['data_list']
    assert not partial_path(out).exists()


def test_partial_from_other_settings_is_refused(dataset):
    out = dataset.parent / 'scored.json'
    partial_path(out).write_text(
        json.dumps(dict(header=dict(evaluator=dict(type='Other')))) + '\n')
    with pytest.raises(RuntimeError, match='other settings'):
        score_annotation(dataset, out, SSIM_CFG, progress=False)


def test_output_must_be_a_new_file(dataset):
    with pytest.raises(ValueError, match='new file'):
        score_annotation(dataset, dataset, SSIM_CFG, progress=False)


@pytest.mark.slow
def test_two_workers_match_one(dataset):
    one, _ = run(dataset, out_name='one.json', workers=1)
    two, _ = run(dataset, out_name='two.json', workers=2)
    assert one['data_list'] == two['data_list']


def test_data_root_default(tmp_path):
    assert resolve_data_root(tmp_path / 'annotations' / 'a.json') == tmp_path
    assert resolve_data_root(tmp_path / 'a.json') == tmp_path
    assert resolve_data_root(tmp_path / 'a.json', 'x') == Path('x')


def test_cli(dataset, capsys):
    spec = importlib.util.spec_from_file_location(
        'score_static', REPO / 'tools' / 'quality' / 'score_static.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = dataset.parent / 'cli.json'
    tool.main([
        str(dataset), '--out',
        str(out), '--backend', 'ssim', '--workers', '1'
    ])
    records = json.loads(out.read_text())['data_list']
    assert sum(r['static_quality'] is not None for r in records) == 7
    printed = capsys.readouterr().out
    assert 'missing pair file: 1' in printed and 'A ' in printed


@pytest.mark.slow
def test_cli_writes_no_bar_updates_into_a_file(dataset):
    """A log file or pipe gets the report, not one bar update per pair
    (carriage returns); the bar is for terminals."""
    out = dataset.parent / 'piped.json'
    proc = subprocess.run(
        [sys.executable, 'tools/quality/score_static.py', str(dataset),
         '--out', str(out), '--backend', 'ssim'],
        cwd=REPO, capture_output=True, timeout=120,  # bytes: keeps \r
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.is_file()
    assert b'\r' not in proc.stdout + proc.stderr
    assert proc.stdout.count(b'wrote ') == 1  # the report


def test_cli_writes_the_freda_band_cache_beside_the_output(dataset, capsys):
    """The pairs' band cache lands beside --out (the one a QC config's
    QualityScoreHook(pair_bands='auto') reads); the missing pair gets no
    band; --no-pair-bands skips it."""
    spec = importlib.util.spec_from_file_location(
        'score_static', REPO / 'tools' / 'quality' / 'score_static.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = dataset.parent / 'banded.json'
    tool.main([str(dataset), '--out', str(out), '--backend', 'ssim',
               '--band-radius', '0.2'])
    meta = json.loads((dataset.parent / 'banded.pair_bands.json').read_text())
    assert (dataset.parent / 'banded.pair_bands.npy').is_file()
    assert meta['radius'] == 0.2
    assert len(meta['frames']) == 5 and len(meta['unreadable']) == 1
    assert 'FreDA band cache' in capsys.readouterr().out
    bare = dataset.parent / 'bare.json'
    tool.main([str(dataset), '--out', str(bare), '--backend', 'ssim',
               '--no-pair-bands'])
    assert not (dataset.parent / 'bare.pair_bands.npy').exists()
    with pytest.raises(SystemExit, match='band-radius'):
        tool.main([str(dataset), '--out', str(bare), '--band-radius', '0'])
