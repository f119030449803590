"""Files written whole or not at all: to a temporary name next to the
target, then renamed (``os.replace`` is atomic on one filesystem). An
interrupted job (Ctrl-C, a killed worker) leaves no half-written annotation,
marker or score file for the next run to trust."""
import json
import os
import os.path as osp

__all__ = ['write_bytes_atomic', 'write_json_atomic']


def write_bytes_atomic(path: str, data: bytes) -> None:
    os.makedirs(osp.dirname(str(path)) or '.', exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:  # incl. Ctrl-C: leave no partial file behind
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_json_atomic(path: str, obj, indent=1) -> None:
    """``obj`` as JSON (``indent=None``: one line, for large files)."""
    write_bytes_atomic(path, json.dumps(obj, indent=indent).encode())
