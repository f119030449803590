"""Benchmark v2 of the synthetic demo data: coarse, low-frequency cues on top
of v1's fine traces, calibrated so that FreDA removes a real-deepfake-like
share of a low-quality fake's difference from its real. (v2's pixel
alignment is tested with v1's, in test_synthetic_data.py's
test_fakes_are_pixel_aligned.)"""
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_synthetic_data import TINY, _frames

from qcdet.offline.synthetic_data import (
    FORGERY_FAMILIES,
    FORGERY_FAMILIES_V2,
    SPLITS,
    families_for,
    generate_demo_dataset,
    make_fake,
    sample_identity,
)
from studies.freda_energy import REAL_RANGE, energy_terms, share

REPO = Path(__file__).resolve().parents[2]

DONORS = [sample_identity(np.random.default_rng(7))]


def _v2(family, frame, q, seed):
    return make_fake(family,
                     frame,
                     q,
                     seed=seed,
                     donors=DONORS,
                     benchmark='v2')


def test_same_family_names_in_both_benchmarks():
    assert list(families_for('v1')) == list(FORGERY_FAMILIES) == list(
        FORGERY_FAMILIES_V2)
    assert families_for('v2') is FORGERY_FAMILIES_V2
    with pytest.raises(KeyError, match='unknown benchmark'):
        families_for('v9')


def test_v2_generates_with_the_v1_reals(tmp_path):
    v1 = generate_demo_dataset(tmp_path / 'v1', **TINY)
    v2 = generate_demo_dataset(tmp_path / 'v2', benchmark='v2', **TINY)
    assert v2['benchmark'] == 'v2' and v2['num_frames'] == v1['num_frames']
    for split in SPLITS:
        ann1 = json.loads(
            (tmp_path / 'v1' / 'annotations' / f'{split}.json').read_text())
        ann2 = json.loads(
            (tmp_path / 'v2' / 'annotations' / f'{split}.json').read_text())
        assert ann2['metainfo'] == dict(ann1['metainfo'], benchmark='v2')
        assert 'benchmark' not in ann1['metainfo']  # v1 files keep their bytes
        assert ann2['data_list'] == ann1[
            'data_list']  # same videos, pairs and q
    for path in (tmp_path / 'v1').rglob('*.png'):
        rel = path.relative_to(tmp_path / 'v1')
        same = path.read_bytes() == (tmp_path / 'v2' / rel).read_bytes()
        assert same == (
            rel.parts[0] == 'real'), rel  # the same reals, other fakes


@pytest.mark.parametrize('family', sorted(FORGERY_FAMILIES_V2))
def test_v2_artefacts_weaken_as_quality_rises(family):
    """The coarse (FreDA-removable) energy falls strictly with q, and so does
    the whole difference from low to
    middle q. (At high q v1 blend_swap's sharp, wider-blended donor features
    can outweigh its fading blur.)"""
    for seed, frame in enumerate(_frames(3)):
        terms = {
            q: energy_terms(_v2(family, frame, q, seed), frame.image, 0.1)
            for q in (0.0, 0.3, 0.6, 0.9, 1.0)
        }
        coarse = [before - after for before, after in terms.values()]
        assert all(a > b for a, b in zip(coarse, coarse[1:])), (family, coarse)
        assert terms[0.0][0] > terms[0.3][0] > terms[0.6][0], (family, terms)
        v1 = energy_terms(
            make_fake(family, frame, 0.3, seed=seed, donors=DONORS),
            frame.image, 0.1)
        assert terms[0.3][0] > v1[0], 'v2 adds to the v1 trace'


@pytest.mark.parametrize('family', sorted(FORGERY_FAMILIES_V2))
def test_v2_low_quality_share_is_in_the_real_range(family):
    frames = _frames(12)
    qs = (np.arange(len(frames)) +
          0.5) / len(frames) / 3  # spread over the low tercile
    low = share([
        energy_terms(_v2(family, f, q, i), f.image, 0.1)
        for i, (f, q) in enumerate(zip(frames, qs))
    ])
    v1 = share([
        energy_terms(make_fake(family, f, q, seed=i, donors=DONORS), f.image,
                     0.1) for i, (f, q) in enumerate(zip(frames, qs))
    ])
    high = share([
        energy_terms(_v2(family, f, 1 - q, i), f.image, 0.1)
        for i, (f, q) in enumerate(zip(frames, qs))
    ])
    assert REAL_RANGE[0] <= low <= REAL_RANGE[1], (family, low)
    assert low > v1, (family, low, v1)
    assert high < low, 'the fine trace dominates more at high quality'


def test_v2_families_differ():
    for seed, frame in enumerate(_frames(3)):
        diffs = {
            f: _v2(f, frame, 0.2, seed).astype(np.float32) - frame.image
            for f in FORGERY_FAMILIES_V2
        }
        for a, b in itertools.combinations(diffs, 2):
            assert np.abs(diffs[a] - diffs[b]).mean() > 2.0, (a, b)
            corr = np.corrcoef(diffs[a].ravel(), diffs[b].ravel())[0, 1]
            assert corr < 0.8, (a, b, corr)


def test_make_demo_data_benchmark_v2(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    # v2 is the tool's default (the demo's benchmark)
    proc = subprocess.run([
        sys.executable, 'tools/data/make_demo_data.py', '--out',
        str(tmp_path / 'demo'), '--num-identities', '3', '--frames-per-video',
        '1', '--size', '32', '--families', 'upsample'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'benchmark v2' in proc.stdout
    metainfo = json.loads((tmp_path / 'demo' / 'annotations' /
                           'train.json').read_text())['metainfo']
    assert metainfo['benchmark'] == 'v2' and metainfo['methods'] == [
        'real', 'upsample'
    ]
