"""qcdet installed from a wheel (no checkout on sys.path) carries its configs
and tools in qcdet/.mim, so the repository's tools/test.py --datasets finds
the dataset configs and gets as far as needing the data, and OpenMMLab's mim
finds the configs and tools there too."""
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from qcdet.registry import MODELS

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NOT_TESTED = ('celebdf_v2: not tested: Annotation file not found: '
              'data/celebdf_v2/annotations/test.json')


def run(args, cwd, expect_rc=0):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == expect_rc, result.stdout + result.stderr
    return result


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A wheel built from the tree, installed without -e into a fresh
    environment that reuses the installed dependencies only."""
    root = tmp_path_factory.mktemp('wheel_install').resolve()
    wheels = root / 'wheels'
    run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
         '--no-build-isolation', '-w', str(wheels), str(REPO)], cwd=root)
    (wheel, ) = wheels.glob('qcdet-*.whl')

    venv = root / 'venv'
    run([sys.executable, '-m', 'venv', str(venv)], cwd=root)
    python = str(venv / 'bin' / 'python')
    # the dependencies of *this* interpreter, whether it is a venv or not
    # (--system-site-packages from inside a venv would give the base
    # interpreter's); plain path lines, so the .pth files there (qcdet's
    # editable install among them) are not run
    venv_site = run([python, '-c', 'import sysconfig; '
                     'print(sysconfig.get_paths()["purelib"])'],
                    cwd=root).stdout.strip()
    Path(venv_site, 'parent_environment.pth').write_text(
        '\n'.join(p for p in sys.path if p.endswith('site-packages')) + '\n')
    run([python, '-m', 'pip', 'install', '-q', '--no-deps', str(wheel)],
        cwd=root)
    located = run([python, '-c', 'import qcdet; print(qcdet.__file__)'],
                  cwd=root).stdout.strip()
    assert located.startswith(str(venv))

    checkpoint = root / 'untrained.pth'
    model = MODELS.build(Config.fromfile(REPO / 'configs' /
                                         'baseline_demo.py').model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return SimpleNamespace(wheel=wheel, python=python,
                           package=Path(located).parent,
                           checkpoint=checkpoint)


def test_wheel_install_finds_dataset_configs(installed, tmp_path):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for shipped in ('qcdet/.mim/configs/_base_/datasets/celebdf_v2.py',
                    'qcdet/.mim/configs/qc_effnet_ffpp.py',
                    'qcdet/.mim/tools/test.py'):
        assert shipped in names

    result = run([installed.python, str(REPO / 'tools' / 'test.py'),
                  str(REPO / 'configs' / 'baseline_demo.py'),
                  str(installed.checkpoint), '--work-dir',
                  str(tmp_path / 'work'), '--datasets', 'celebdf_v2'],
                 cwd=tmp_path, expect_rc=1)
    out = result.stdout + result.stderr
    assert NOT_TESTED in out
    assert 'none of the test sets could be tested' in out


@pytest.fixture
def mim(installed):
    """``python -m mim`` of the fresh environment (it sees the main
    environment's openmim, which .ci/run installs; without it the mim tests
    skip, naming the command)."""
    if importlib.util.find_spec('mim') is None:
        pytest.skip('openmim is not installed; to run the mim tests: '
                    'python -m pip install -r requirements/mim.txt && '
                    'python -m pip install --no-deps openmim==0.3.9')
    return [installed.python, '-m', 'mim']


def test_mim_test_finds_config_and_tool_in_wheel(installed, mim, tmp_path):
    # a config name, not a path: mim looks for it in qcdet/.mim/configs
    result = run(mim + ['test', 'qcdet', 'baseline_demo.py', '--checkpoint',
                        str(installed.checkpoint), '--yes', '--work-dir',
                        str(tmp_path / 'work'), '--datasets', 'celebdf_v2'],
                 cwd=tmp_path, expect_rc=1)
    out = result.stdout + result.stderr
    config = installed.package / '.mim' / 'configs' / 'baseline_demo.py'
    script = installed.package / '.mim' / 'tools' / 'test.py'
    assert f'find the config file in codebase qcdet, will use {config} ' \
        'instead' in out
    assert f'Testing command is {installed.python} {script} {config} ' \
        f'{installed.checkpoint} --launcher none' in out
    # the shipped tools/test.py ran and got as far as needing the data
    assert NOT_TESTED in out
    assert 'none of the test sets could be tested' in out


def test_mim_run_finds_tool_in_wheel(installed, mim, tmp_path):
    config = installed.package / '.mim' / 'configs' / 'qc_demo.py'
    script = installed.package / '.mim' / 'tools' / 'misc' / \
        'print_config.py'
    out = run(mim + ['run', 'qcdet', 'print_config', str(config)],
              cwd=tmp_path).stdout
    assert f'Use the script {script} for command print_config.' in out
    # the shipped config, printed in full
    assert "type='QualityScoreHook'" in out
    assert 'The script finished successfully.' in out
