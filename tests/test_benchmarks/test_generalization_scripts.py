"""The generalisation and evaluator-validity benchmarks run end to end at a tiny size and print parsable
``name: value`` lines (the figures themselves live in docs/results.md)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_script(script, *args, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, f'benchmarks/{script}', *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def name_values(text):
    return {m.group(1): m.group(2) for m in re.finditer(r'^([a-z][\w]*): (\S+)$', text, re.M)}


def test_generalization_study_tiny(tmp_path):
    out = tmp_path / 'study'
    args = ['--out', str(out), '--seeds', '0', '1', '--epochs', '1', '--num-identities', '6',
            '--frames-per-video', '2', '--train-frames-per-video', '1', '--families', 'upsample',
            '--variants', 'baseline', 'qc', '--num-workers', '0']
    text = run_script('generalization.py', *args)
    values = name_values(text)
    runs = json.loads((out / 'results.json').read_text())['runs']
    assert len(runs) == 4 and {r['variant'] for r in runs} == {'baseline', 'qc'}
    # the held-out test set holds reals and the held-out family only
    test_ann = json.loads((out / 'data/annotations/study/test_upsample.json').read_text())['data_list']
    assert {r['method'] for r in test_ann} == {'real', 'upsample'}
    train_ann = json.loads((out / 'data/annotations/study/train_no_upsample.json').read_text())['data_list']
    assert 'upsample' not in {r['method'] for r in train_ann} and {r['frame_idx'] for r in train_ann} == {0}
    diffs = [q['frame_auc'] - b['frame_auc'] for q in runs for b in runs
             if q['variant'] == 'qc' and b['variant'] == 'baseline' and q['seed'] == b['seed']]
    assert float(values['qc_minus_baseline_auc']) == pytest.approx(sum(diffs) / len(diffs), abs=1e-4)
    assert 0.0 <= float(values['qc_frame_auc']) <= 1.0
    # a rerun reuses the stored runs instead of training again
    again = run_script('generalization.py', *args)
    assert name_values(again)['qc_minus_baseline_auc'] == values['qc_minus_baseline_auc']


def test_static_quality_validity_tiny(tmp_path):
    text = run_script('static_quality_validity.py', '--out', str(tmp_path), '--num-identities', '6',
                      '--frames-per-video', '2', '--shared', str(tmp_path / 'absent'), '--workers', '1')
    values = name_values(text)
    assert 'real-data part skipped' in text
    assert float(values['scored_ssim']) == 1.0
    # the printed rho is the rank correlation of the scores the script wrote with the true quality
    from scipy.stats import spearmanr
    scored = json.loads((tmp_path / 'synthetic_128px/annotations/train_ssim.json').read_text())['data_list']
    fakes = [r for r in scored if r['label'] == 1 and r['method'] == 'upsample']
    rho = spearmanr([r['static_quality'] for r in fakes], [r['true_quality'] for r in fakes])[0]
    assert float(values['spearman_ssim_upsample']) == pytest.approx(rho, abs=1e-3)
    assert 'spearman_dlib_mean' in values


def test_generalization_real_tiny(tmp_path, shared_data):
    text = run_script('generalization_real.py', '--shared', str(shared_data), '--out', str(tmp_path), '--seeds', '0',
                      '--epochs', '1', '--num-frames', '3', '--img-size', '64', '--methods', 'Deepfakes',
                      '--num-workers', '0')
    values = name_values(text)
    result = json.loads((tmp_path / 'results.json').read_text())
    assert [r['held_out'] for r in result['ffpp_lomo']] == ['Deepfakes', 'Deepfakes']
    assert result['dfdc_unseen'][0]['num_frames'] == 167
    assert set(result['dlib_similarity']) == {'Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures'}
    assert 'qc_minus_baseline_auc_dfdc' in values
