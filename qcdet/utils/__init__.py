"""Utilities: safe checkpoint loading, model-file downloads, distributed
set-up.

The names below are loaded on first use (PEP 562), so that light modules
such as ``qcdet.utils.cli`` import without torch: a tool's ``--help``
answers before anything heavy loads.
"""
import importlib

# module -> its __all__ (tests/test_utils/test_lazy_utils.py keeps them equal)
EXPORTS = {
    'distributed': ('setup_distributed',),
    'download': ('ModelFileUnavailable', 'model_cache_dir', 'cached_path',
                 'file_sha256', 'fetch_model_file', 'is_url'),
    'worker_pool': ('worker_context',),
}
_OWNER = {name: module for module, names in EXPORTS.items()
          for name in names}
__all__ = sorted(_OWNER)


def __getattr__(name):
    if name in _OWNER:
        module = importlib.import_module(f'.{_OWNER[name]}', __name__)
        return getattr(module, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
