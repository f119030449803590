"""qcdet installed from a wheel (no checkout on sys.path) carries its configs
and tools in qcdet/.mim, so the repository's tools/test.py --datasets finds
the dataset configs and gets as far as needing the data."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from qcdet.registry import MODELS

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def run(args, cwd, expect_rc=0):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == expect_rc, result.stdout + result.stderr
    return result


def test_wheel_install_finds_dataset_configs(tmp_path):
    wheels = tmp_path / 'wheels'
    run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
         '--no-build-isolation', '-w', str(wheels), str(REPO)], cwd=tmp_path)
    (wheel, ) = wheels.glob('qcdet-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ('qcdet/.mim/configs/_base_/datasets/celebdf_v2.py',
                    'qcdet/.mim/configs/qc_effnet_ffpp.py',
                    'qcdet/.mim/tools/test.py'):
        assert shipped in names

    # a fresh environment that reuses the installed dependencies only
    venv = tmp_path / 'venv'
    run([sys.executable, '-m', 'venv', '--system-site-packages', str(venv)],
        cwd=tmp_path)
    python = str(venv / 'bin' / 'python')
    run([python, '-m', 'pip', 'install', '-q', '--no-deps', str(wheel)],
        cwd=tmp_path)
    located = run([python, '-c', 'import qcdet; print(qcdet.__file__)'],
                  cwd=tmp_path).stdout
    assert located.startswith(str(venv))

    checkpoint = tmp_path / 'untrained.pth'
    model = MODELS.build(Config.fromfile(REPO / 'configs' /
                                         'baseline_demo.py').model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    result = run([python, str(REPO / 'tools' / 'test.py'),
                  str(REPO / 'configs' / 'baseline_demo.py'),
                  str(checkpoint), '--work-dir', str(tmp_path / 'work'),
                  '--datasets', 'celebdf_v2'], cwd=tmp_path, expect_rc=1)
    out = result.stdout + result.stderr
    assert 'celebdf_v2: not tested: Annotation file not found: ' \
        'data/celebdf_v2/annotations/test.json' in out
    assert 'none of the test sets could be tested' in out
