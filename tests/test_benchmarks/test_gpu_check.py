"""benchmarks/gpu_check.sh runs end to end in its tiny mode (on CPU here:
the FF++ configs with AMP switched off) and prints sane figures."""
import math
import os
import re
import subprocess
from pathlib import Path

import pytest

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r'^([a-z0-9_]+): (\S+)$')


def test_gpu_check_tiny_mode_prints_sane_figures():
    proc = subprocess.run(
        ['bash', 'benchmarks/gpu_check.sh', '--tiny'], cwd=REPO,
        env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True,
        text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    values = {m.group(1): float(m.group(2)) for m in map(
        LINE.match, proc.stdout.splitlines()) if m}
    gpu = values['gpu'] == 1
    # the settings the runs had, read back from their configs
    assert values['amp'] == gpu  # AMP needs a GPU
    for name in ('channels_last', 'cudnn_benchmark', 'pin_memory',
                 'persistent_workers'):
        assert values[name] == 1, name
    assert values['batch_size'] == 4 and values['img_size'] == 32
    assert values['timed_iters'] >= 1
    plain, qc = values['plain_img_per_s'], values['qc_img_per_s']
    assert plain > 0 and qc > 0
    # printed to 4 significant digits
    assert math.isclose(values['qc_over_plain'], qc / plain, rel_tol=2e-3)
    # the QC run's FreDA read the band cache score_static.py wrote
    assert values['qc_pair_bands'] == 1
    assert math.isclose(values['qc_over_plain_cpu'],
                        values['plain_cpu_ms_per_image'] /
                        values['qc_cpu_ms_per_image'], rel_tol=2e-3)
    for name in ('plain', 'qc'):
        assert values[f'{name}_cpu_ms_per_image'] > 0
        assert 0 <= values[f'{name}_data_wait_share'] <= 1
        peak = values[f'{name}_peak_gpu_mem_mib']
        assert peak > 0 if gpu else math.isnan(peak)
    assert ('NOT GPU figures' in proc.stdout) != gpu
