"""The generalisation and evaluator-validity studies run end to end at a
tiny size and print parsable ``name: value`` lines (the figures themselves
live in docs/results.md)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studies import generalization

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def run_script(module, *args, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, '-m', f'studies.{module}', *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def name_values(text):
    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'^([a-z][\w]*): (\S+)$', text, re.M)
    }


def test_generalization_study_tiny(tmp_path):
    out = tmp_path / 'study'
    args = [
        '--out',
        str(out), '--seeds', '0', '1', '--epochs', '1', '--num-identities',
        '6', '--frames-per-video', '2', '--train-frames-per-video', '1',
        '--families', 'upsample', '--variants', 'baseline', 'qc',
        '--num-workers', '0', '--benchmark', 'v1'
    ]
    text = run_script('generalization', *args)
    values = name_values(text)
    runs = json.loads((out / 'results.json').read_text())['runs']
    assert len(runs) == 4 and {r['variant']
                               for r in runs} == {'baseline', 'qc'}
    # the held-out test set holds reals and the held-out family only
    test_ann = json.loads(
        (out /
         'data/annotations/study/test_upsample.json').read_text())['data_list']
    assert {r['method'] for r in test_ann} == {'real', 'upsample'}
    train_ann = json.loads(
        (out / 'data/annotations/study/train_no_upsample.json'
         ).read_text())['data_list']
    assert 'upsample' not in {r['method']
                              for r in train_ann
                              } and {r['frame_idx']
                                     for r in train_ann} == {0}
    diffs = [
        q['frame_auc'] - b['frame_auc'] for q in runs for b in runs
        if q['variant'] == 'qc' and b['variant'] == 'baseline'
        and q['seed'] == b['seed']
    ]
    # the headline comes last: mean ± SD, the t interval and the number of
    # pairs
    last = text.strip().splitlines()[-1]
    match = re.fullmatch(
        r'qc_minus_baseline_auc: ([+-]\S+) ± (\S+) '
        r'\(95% CI \[(\S+), (\S+)\], (\d+) pairs\)',
        last)
    assert match, last
    mean, sd, low, high, pairs = match.groups()
    assert float(mean) == pytest.approx(sum(diffs) / len(diffs),
                                        abs=1e-4) and int(pairs) == 2
    assert float(low) <= float(mean) <= float(high)
    assert 0.0 <= float(values['qc_frame_auc']) <= 1.0
    # QC runs record their fake visits and how many went through FreDA
    qc_run = next(r for r in runs if r['variant'] == 'qc')
    assert 0 <= qc_run['freda_visits'] <= qc_run['fake_visits'] > 0
    # and the AUC of the reals against each true-quality tercile of the
    # held-out fakes
    assert set(qc_run['frame_auc_by_quality']) == {'low', 'mid', 'high'}
    assert 'by true-quality tercile' in text
    # a rerun reuses the stored runs instead of training again
    again = run_script('generalization', *args)
    assert again.strip().splitlines()[-1] == last


def test_generalization_variant_overrides():
    options = generalization.variant_options(
        'qc:sampler.temperature=0.25,hook.dynamic.signal=loss,sampler.mode=routing'
    )
    assert options == {
        'train_dataloader.sampler.temperature': 0.25,
        'custom_hooks.0.dynamic.signal': 'loss',
        'train_dataloader.sampler.mode': 'routing'
    }
    assert generalization.variant_dir(
        'qc:sampler.temperature=0.25') == 'qc__sampler.temperature=0.25'
    assert generalization.variant_options(
        'baseline:a.scale=(128,128),b=[1,2],c=3') == {
            'a.scale': (128, 128),
            'b': [1, 2],
            'c': 3
        }
    with pytest.raises(Exception, match='unknown variant'):
        generalization.parse_variant('qcc')
    with pytest.raises(Exception, match='KEY=VALUE'):
        generalization.parse_variant('qc:sampler.temperature')
    low, high = generalization.confidence_interval([0.01, 0.03, 0.02, 0.04])
    assert low < 0.025 < high and high - low == pytest.approx(
        2 * 3.182 * 0.01291 / 2, abs=1e-3)


def test_static_quality_validity_tiny(tmp_path):
    text = run_script('static_quality_validity', '--out', str(tmp_path),
                      '--num-identities', '6', '--frames-per-video', '2',
                      '--shared', str(tmp_path / 'absent'), '--workers', '1')
    values = name_values(text)
    assert 'real-data part skipped' in text
    assert float(values['scored_ssim']) == 1.0
    # the printed rho is the rank correlation of the scores the script wrote
    # with the true quality
    from scipy.stats import spearmanr
    scored = json.loads(
        (tmp_path / 'synthetic_128px/annotations/train_ssim.json'
         ).read_text())['data_list']
    fakes = [
        r for r in scored if r['label'] == 1 and r['method'] == 'upsample'
    ]
    rho = spearmanr([r['static_quality'] for r in fakes],
                    [r['true_quality'] for r in fakes])[0]
    assert float(values['spearman_ssim_upsample']) == pytest.approx(rho,
                                                                    abs=1e-3)
    assert 'spearman_dlib_mean' in values


def test_generalization_real_tiny(tmp_path, shared_data):
    text = run_script('generalization_real', '--shared', str(shared_data),
                      '--out', str(tmp_path), '--seeds', '0', '--epochs', '1',
                      '--num-frames', '3', '--img-size', '64', '--methods',
                      'Deepfakes', '--num-workers', '0')
    values = name_values(text)
    result = json.loads((tmp_path / 'results.json').read_text())
    assert [r['held_out']
            for r in result['ffpp_lomo']] == ['Deepfakes', 'Deepfakes']
    assert result['dfdc_unseen'][0]['num_frames'] == 167
    assert set(result['dlib_similarity']) == {
        'Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures'
    }
    assert 'qc_minus_baseline_auc_dfdc' in values


def test_generalization_v3_tests_one_model_on_every_tested_family(tmp_path):
    out = tmp_path / 'study_v3'
    text = run_script('generalization', '--out', str(out), '--seeds', '0',
                      '--epochs', '1', '--num-identities', '6',
                      '--frames-per-video', '2', '--train-frames-per-video',
                      '1', '--variants', 'baseline', 'qc', '--benchmark',
                      'v3')
    runs = json.loads((out / 'results.json').read_text())['runs']
    # one training run per variant, tested on the held-out family and the
    # two controls
    assert sorted((r['variant'], r['held_out']) for r in runs) == sorted(
        (v, f) for v in ('baseline', 'qc') for f in
        ('neural_render', 'shortcut_control', 'no_trace_control'))
    train = json.loads((out / 'data/annotations/study/train_v3.json'
                        ).read_text())['data_list']
    assert {r['method'] for r in train} == {'real', 'colour_swap', 'relight',
                                            'tone_blend'}
    values = name_values(text)
    for name in ('qc_minus_baseline_auc_overall',
                 'qc_minus_baseline_shortcut_control_auc',
                 'qc_minus_baseline_no_trace_control_auc'):
        assert name in text
    assert 0.0 <= float(values['qc_frame_auc_high']) <= 1.0
    last = text.strip().splitlines()[-1]
    assert last.startswith('qc_minus_baseline_auc: ') and '1 pairs' in last


def test_benchmark_validity_prints_every_check(tmp_path):
    text = run_script('benchmark_validity', '--out', str(tmp_path),
                      '--seeds', '0', '1', '--epochs', '1',
                      '--num-identities', '6', '--frames-per-video', '2',
                      '--train-frames-per-video', '1', '--calibration',
                      'TRACE_AMPLITUDE=2.0', 'CODEC_QUALITY=(90, 98)')
    for name in ('probe_auc_neural_render', 'probe_auc_no_trace_control',
                 'noise_probe_auc_neural_render', 'oracle_gap',
                 'control_shortcut_gap', 'control_no_trace_gap',
                 'baseline_auc_neural_render', 'oracle_auc_neural_render'):
        assert re.search(rf'^{name}: \S', text, re.M), name
    assert 0.0 <= float(name_values(text)['probe_auc_neural_render']) <= 1.0
    # the oracle trained on the shortcut-free twin: same reals, other fakes
    twin = tmp_path / 'data_without_shortcuts' / 'annotations' / 'train.json'
    twin_meta = json.loads(twin.read_text())['metainfo']
    assert twin_meta['shortcuts'] is False
    # the constants given on the command line made both datasets
    for data in ('data', 'data_without_shortcuts'):
        meta = json.loads((tmp_path / data / 'annotations' /
                           'train.json').read_text())['metainfo']
        assert meta['calibration']['TRACE_AMPLITUDE'] == 2.0
        assert meta['calibration']['CODEC_QUALITY'] == [90, 98]
    last = text.strip().splitlines()[-1]
    assert re.fullmatch(r'valid: (yes|no \(.+\))', last), last
