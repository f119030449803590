"""Where the configs and tools that ship with qcdet are.

A wheel carries them inside the package as ``qcdet/.mim/{configs,tools}``
(OpenMMLab's layout, where ``mim`` looks; setup.py copies them there at build
time). A checkout or an editable install reads the repository's own
``configs/`` and ``tools/`` instead, so an edit shows at once.
"""
from pathlib import Path

__all__ = ['package_folder']

_PACKAGE = Path(__file__).resolve().parents[1]


def package_folder(name: str) -> Path:
    """``configs`` or ``tools``, shipped with the package or in the
    checkout it runs from."""
    for folder in (_PACKAGE / '.mim' / name, _PACKAGE.parent / name):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        f'qcdet\'s {name}/ folder is in neither {_PACKAGE / ".mim"} (a '
        f'wheel install) nor {_PACKAGE.parent} (a checkout); reinstall '
        'qcdet')
