"""The speed benchmarks run end to end at a tiny size and end with
``name: value`` lines that parse as numbers (scripts read them)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r'^([a-z0-9_]+): (\S+)$')


def run_benchmark(module, *args, timeout=120):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', f'benchmarks.{module}', *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    values = {}
    for line in proc.stdout.splitlines():
        match = LINE.match(line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


def test_freda_speed_tiny():
    values = run_benchmark('freda_speed', '--repeats', '2', '--rounds',
                           '1', '--identities', '3')
    for name in ('freda_ms_per_image', 'mix_ms_per_image',
                 'decode_ms_per_image', 'fft_ms_per_image', 'freda_over_fft',
                 'mix_over_fft', 'pair_freda_ms_per_image',
                 'pair_freda_over_fft', 'band_read_ms_per_image',
                 'pipeline_img_per_s_pairs', 'pipeline_img_per_s_plain',
                 'pipeline_img_per_s_freda', 'pipeline_freda_over_plain'):
        assert values[name] > 0, name
    assert values['pipeline_images'] == 40  # one train identity


def test_freda_speed_reference_gives_before_after(tmp_path):
    reference = tmp_path / 'freq_augment_copy.py'
    reference.write_text(
        (REPO / 'qcdet/datasets/transforms/freq_augment.py').read_text())
    values = run_benchmark('freda_speed', '--repeats', '2', '--rounds',
                           '1', '--identities', '3', '--no-pipeline',
                           '--reference', str(reference))
    assert values['reference_freda_ms_per_image'] > 0
    assert values['freda_speedup_over_reference'] > 0
    assert 'pipeline_img_per_s_plain' not in values


def test_train_throughput_tiny():
    values = run_benchmark('train_throughput', '--rounds', '1', '--epochs',
                           '1', '--identities', '3', '--workers', '0')
    for name in ('plain_img_per_s', 'qc_img_per_s', 'fwd_bwd_img_per_s',
                 'qc_over_plain', 'step_over_fwd_bwd', 'refresh_share',
                 'step_over_fwd_bwd_cpu', 'qc_over_plain_cpu'):
        assert values[name] > 0, name
    assert values['extra_forward_passes'] == 0
    assert values['qc_over_plain_min'] <= values['qc_over_plain'] <= \
        values['qc_over_plain_max']
    assert values['plain_forward_calls'] == values['qc_forward_calls'] > 0
    assert 0 <= values['qc_easy_fraction'] <= 1
    assert values['qc_step_gap'] == pytest.approx(
        values['step_over_fwd_bwd'] - values['qc_step_over_fwd_bwd'],
        abs=2e-3)
    assert values['qc_over_plain_worker_cpu'] >= 0


def test_train_throughput_tiny_reading_pairs_at_256_px():
    """--preset cpu256 with --no-pair-bands: QC's FreDA decodes the pairs
    (the fallback), at 256 px."""
    values = run_benchmark('train_throughput', '--preset', 'cpu256',
                           '--rounds', '1', '--epochs', '1', '--identities',
                           '3', '--workers', '0', '--no-pair-bands',
                           timeout=300)
    assert values['qc_img_per_s'] > 0 and values['plain_img_per_s'] > 0
    assert values['extra_forward_passes'] == 0


def test_qc_profile_tiny():
    """The per-stage profile prints every stage; FreDA from the band cache
    is cheaper than from the decoded pair."""
    values = run_benchmark('qc_profile', '--identities', '3', '--rounds',
                           '1', '--repeats', '3', '--epochs', '1',
                           '--probe-iters', '1')
    for name in ('plain_ms_per_image', 'qc_ms_per_image',
                 'qc_pairs_ms_per_image', 'seed_us', 'pair_read_us',
                 'pair_decode_us', 'pair_resize_us', 'mask_us', 'ffts_us',
                 'rounding_us', 'freda_pairs_us', 'band_read_us',
                 'band_forward_us', 'band_inverse_us', 'freda_band_us',
                 'fft_us', 'sampler_plan_ms', 'hook_iter_ms',
                 'hook_epoch_ms', 'fwd_bwd_ms_per_iter',
                 'transform_freq_augment_us'):
        assert values[name] > 0, name
    assert 0 < values['easy_fraction'] < 1
    assert values['main_overhead_share'] < 1


def test_static_scoring_speed_tiny():
    values = run_benchmark('static_scoring_speed', '--pairs', '1',
                           '--rounds', '1')
    assert values['ssim_faces_per_s'] > 0
    faces = REPO / '..' / 'shared' / 'data' / 'cvit-dfdc-faces' / 'test'
    if not faces.is_dir():
        pytest.skip(f'face crops absent ({faces}): dlib/onnx not timed')
    for backend in ('dlib', 'onnx'):
        if f'{backend}_faces_per_s' in values:  # skipped if not installed
            assert values[f'{backend}_faces_per_s'] > 0
            assert values[f'{backend}_embed_faces_per_s'] > 0


def test_dataloader_ipc_tiny():
    values = run_benchmark('dataloader_ipc', '--rounds', '1', '--epochs',
                           '1', '--identities', '3', '--workers', '0')
    for setting in ('base', 'file_system', 'stack', 'stack_fs'):
        assert values[f'{setting}_step_over_fwd_bwd'] > 0
        assert values[f'{setting}_step_over_fwd_bwd_cpu'] > 0


def test_profile_train_tiny():
    """A QC run of a warm-up epoch plus one, all profiled, over the 40 train
    frames of 3 generated identities: 2 batches of 32 per epoch."""
    values = run_benchmark('profile_train', '--config',
                           'configs/qc_demo.py', '--epochs', '1',
                           '--identities', '3')
    assert values['profiled_iterations'] == 4
    assert values['profiled_seconds'] > 0


def test_preprocess_speed_tiny():
    data = REPO / '..' / 'shared' / 'data'
    if not (data / 'cvit-dfdc-faces' / 'test').is_dir():
        pytest.skip(f'shared clips and DFDC faces absent under {data}')
    values = run_benchmark('preprocess_speed', '--max-clips', '1',
                           '--frames-per-video', '2', '--footage-faces', '3',
                           '--footage-clip-frames', '2')
    assert (values['frames_clips'], values['frames_footage']) == (2, 4)
    for pipeline in ('qcdet', 'deepfakebench'):
        assert values[f'{pipeline}_fps'] > 0
        assert values[f'{pipeline}_decode_fps'] >= values[f'{pipeline}_fps']
        for part in ('clips', 'footage'):
            assert 0 <= values[f'{pipeline}_recall_{part}'] <= 1
    assert values['qcdet_recall'] == 1.0
    assert values['speedup_over_deepfakebench'] == pytest.approx(
        values['qcdet_fps'] / values['deepfakebench_fps'], rel=0.01)
