import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Research media read in place from ../shared/data (never copied)."""
    env = os.environ.get('QCDET_SHARED_DATA')
    return Path(env) if env else REPO_ROOT.parent / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_data():
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f'shared research data not found at {path}')
    return path


@pytest.fixture(autouse=True, scope='session')
def _qcdet_scope():
    from mmengine.registry import init_default_scope
    init_default_scope('qcdet')


@pytest.fixture(autouse=True)
def _empty_model_cache(tmp_path, monkeypatch):
    """Model files (ImageNet weights, ArcFace) are fetched into an empty
    cache of each test's own: never the user's, never from the internet."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))


@pytest.fixture
def http_folder(tmp_path):
    """A folder served over HTTP on 127.0.0.1 for the length of a test:
    ``(folder, base_url)``."""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    folder = tmp_path / 'served'
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0),
        functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url():
    """An http URL on 127.0.0.1 where nothing listens: what a machine
    without internet access sees."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'http://127.0.0.1:{port}'
