import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _share_the_cores_between_workers():
    """Under pytest-xdist (pytest.ini's ``-n auto``) each worker, and every
    tool it starts, gets its share of the cores instead of all of them:
    torch's and OpenMP's threads would otherwise fight across workers."""
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    if workers > 1:
        threads = str(max(1, (os.cpu_count() or 1) // workers))
        for name in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[name] = threads


_share_the_cores_between_workers()


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


# Running the command-line tools end to end (tests/test_tools/, the CLIP
# configs' tests): one copy of the helpers, handed out by the `cli` fixture.

def cfg_options(data_root, **extra):
    """--cfg-options that point every split at `data_root`, with loaders in
    the test's own process and a log line each step."""
    opts = dict(extra)
    for split in ('train', 'val', 'test'):
        opts[f'{split}_dataloader.dataset.data_root'] = str(data_root)
        opts[f'{split}_dataloader.num_workers'] = 0
        opts[f'{split}_dataloader.persistent_workers'] = False
    opts.setdefault('default_hooks.logger.interval', 1)
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


def run(args, timeout=900, **env_vars):
    """Run a command from the repository root; fail the test with its
    output's tail unless it exits 0. Returns stdout + stderr."""
    env = dict(os.environ,
               PYTHONPATH=str(REPO_ROOT),
               OMP_NUM_THREADS='1',
               **env_vars)
    proc = subprocess.run([str(a) for a in args],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def train(config, work_dir, data_root, *extra_args, **opts):
    """tools/train.py CONFIG on `data_root`; `opts` become --cfg-options."""
    return run([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(work_dir), *extra_args, *cfg_options(data_root, **opts)
    ])


def last_json(text):
    """The last indented JSON object a tool printed (its metrics)."""
    start = text.rindex('{\n')
    return json.loads(text[start:text.index('}', start) + 1])


@pytest.fixture(scope='session')
def cli():
    return SimpleNamespace(run=run,
                           train=train,
                           cfg_options=cfg_options,
                           last_json=last_json,
                           python=sys.executable)
