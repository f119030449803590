"""qcdet.utils loads its heavy modules on first use only."""
import importlib
import subprocess
import sys

import qcdet.utils


def test_lazy_exports_match_each_modules_all():
    for module, names in qcdet.utils.EXPORTS.items():
        loaded = importlib.import_module(f'qcdet.utils.{module}')
        assert tuple(loaded.__all__) == names
        for name in names:
            assert getattr(qcdet.utils, name) is getattr(loaded, name)


def test_cli_helpers_import_without_torch():
    code = ('import sys, qcdet.utils.cli; '
            'print(sorted(m for m in ("torch", "mmengine", "cv2") '
            'if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'
