"""tools/serve.py: the JSON endpoint gives tools/infer.py's score for an
uploaded FF++ clip, refuses bad uploads and client-named paths with a 4xx
and keeps serving, leaves no upload behind, and the page in headless
Chromium shows the same score."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from qcdet.apis.scoring_page import (
    MediaScorer,
    UploadRejected,
    safe_name,
    score_strip,
)
from qcdet.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/baseline_demo.py'
FFPP_VIDEO = ('icpr2020dfdc/ffpp/original_sequences/youtube/c23/videos/'
              '004.mp4')
# the same flags for tools/infer.py and tools/serve.py
FLAGS = ['--num-frames', '4', '--detector', 'retinaface', '--device', 'cpu']
MAX_UPLOAD_MB = 1  # the FF++ clip is 177 kB
NEEDS_GRADIO = ('gradio is not installed (needed for tools/serve.py): '
                'pip install "qcdet[serve]"')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A randomly initialised demo detector (no training needed to compare
    two ways of scoring); its head is scaled up so that faces get scores
    away from 0.5."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    model.head.fc.weight.data *= 200
    path = tmp_path_factory.mktemp('serve_ckpt') / 'random.pth'
    save_checkpoint(dict(state_dict=model.state_dict(), meta={}), str(path))
    return path


@pytest.fixture(scope='module')
def ffpp(shared_data):
    """The real FF++ clip, read in place from ../shared/data."""
    path = shared_data / FFPP_VIDEO
    if not path.is_file():
        pytest.skip(f'shared FF++ clip absent: {path}')
    return path


@pytest.fixture(scope='module')
def infer_record(checkpoint, ffpp, cli, tmp_path_factory):
    """tools/infer.py's record and printed score for the FF++ clip."""
    out = tmp_path_factory.mktemp('infer') / 'infer.json'
    log = cli.run([cli.python, 'tools/infer.py', CONFIG, str(checkpoint),
                   str(ffpp), *FLAGS, '--out', str(out)])
    printed = re.search(r'004\.mp4: \w+ score=(\S+)', log).group(1)
    return json.loads(out.read_text())[0], printed


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def server(checkpoint, tmp_path_factory):
    """tools/serve.py running in a subprocess on a free 127.0.0.1 port,
    with its uploads and Gradio's cache in folders of the test's own."""
    pytest.importorskip('gradio', reason='pip install -r '
                        'requirements/optional.txt')
    work = tmp_path_factory.mktemp('serve')
    uploads, gradio_cache = work / 'uploads', work / 'gradio'
    port = free_port()
    env = dict(PYTHONPATH=str(REPO), OMP_NUM_THREADS='1',
               GRADIO_TEMP_DIR=str(gradio_cache),
               GRADIO_ANALYTICS_ENABLED='False')
    log = open(work / 'serve.log', 'w')
    proc = subprocess.Popen(
        [sys.executable, 'tools/serve.py', CONFIG, str(checkpoint), *FLAGS,
         '--port', str(port), '--max-upload-mb', str(MAX_UPLOAD_MB),
         '--upload-dir', str(uploads)],
        cwd=REPO, env=dict(os.environ, **env), stdout=log,
        stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    import requests
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, (work / 'serve.log').read_text()
            assert time.monotonic() < deadline, 'tools/serve.py never came up'
            try:
                if requests.get(url + '/', timeout=5).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        yield SimpleNamespace(url=url, uploads=uploads,
                              gradio_cache=gradio_cache, proc=proc)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def post(server, files=None, **kwargs):
    import requests
    return requests.post(server.url + '/api/score', files=files,
                         timeout=300, **kwargs)


def post_file(server, path, name=None):
    with open(path, 'rb') as f:
        return post(server, files={'file': (name or Path(path).name, f)})


# ------------------------------------------------------- without a server
def test_client_file_names_are_reduced_to_a_base_name():
    assert safe_name('../../etc/passwd') == 'passwd'
    assert safe_name('C:\\clips\\my clip.mp4') == 'my_clip.mp4'
    assert safe_name('/') == 'upload' and safe_name('..') == 'upload'


def test_score_strip_has_a_bar_per_frame():
    frames = [dict(frame_idx=i, score=s) for i, s in
              enumerate([0.9, 0.1, None, 0.5])]
    strip = score_strip(frames, threshold=0.5, width=400, height=100)
    assert strip.shape == (100, 400, 3) and strip.dtype == np.uint8
    # red (RGB) in the first bar's column, green in the second's
    assert (strip[30:80, 57] == (255, 0, 0)).all()
    assert (strip[77:81, 157] == (0, 200, 0)).all()
    assert (strip[30:70, 157] == 255).all()  # no taller than its score


class NoModelInferencer:
    """Stands in for DeepfakeInferencer where no frame is scored."""
    model = torch.nn.Module()

    def __call__(self, *args, **kwargs):
        raise AssertionError('a refused upload must not be scored')


def test_too_long_video_and_non_media_are_refused(tmp_path):
    video = tmp_path / 'long.mp4'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'),
                             10, (64, 64))
    for _ in range(30):  # 3 s
        writer.write(np.zeros((64, 64, 3), np.uint8))
    writer.release()
    uploads = tmp_path / 'uploads'
    scorer = MediaScorer(NoModelInferencer(), uploads,
                         max_upload_bytes=10**6, max_video_seconds=1)
    with pytest.raises(UploadRejected, match=r'3\.0 s long; the limit is '
                       r'1 s') as error:
        scorer.score_upload('long.mp4', [video.read_bytes()])
    assert error.value.status == 413
    with pytest.raises(UploadRejected, match='upload an image') as error:
        scorer.score_upload('notes.txt', [b'hello'])
    assert error.value.status == 415
    with pytest.raises(UploadRejected, match='larger than') as error:
        scorer.score_upload('big.mp4', [b'\0' * 600_000] * 2)
    assert error.value.status == 413
    assert list(uploads.iterdir()) == []


def test_page_refuses_a_path_outside_gradio_uploads(tmp_path):
    pytest.importorskip('gradio')
    from qcdet.apis.scoring_page import build_page

    class Scorer:
        calls = []

        def score_upload(self, name, chunks):
            self.calls.append(name)

    secret = tmp_path / 'secret.mp4'
    secret.write_bytes(b'not for clients')
    page = build_page(Scorer())
    score_files = next(iter(page.fns.values())).fn
    summary, *_ = score_files([str(secret)])
    assert 'not scored: not an uploaded file' in summary
    assert Scorer.calls == [] and secret.read_bytes() == b'not for clients'


def test_missing_gradio_is_one_clear_line(checkpoint):
    code = ("import runpy, sys; sys.modules['gradio'] = None; "
            f"sys.argv = ['serve.py', {CONFIG!r}, {str(checkpoint)!r}]; "
            "runpy.run_path('tools/serve.py', run_name='__main__')")
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == f'ERROR: {NEEDS_GRADIO}'


# ------------------------------------------------------ against tools/serve
@pytest.mark.slow
def test_endpoint_score_equals_infer_py(server, infer_record, ffpp):
    expected, _ = infer_record
    response = post_file(server, ffpp)
    assert response.status_code == 200, response.text
    record = response.json()
    assert 0 <= record['score'] <= 1
    assert abs(record['score'] - expected['score']) < 1e-6
    assert record['path'] == '004.mp4'  # not a server path
    for mine, theirs in zip(record['frame_scores'],
                            expected['frame_scores'], strict=True):
        assert mine['frame_idx'] == theirs['frame_idx']
        assert mine['box'] == theirs['box']
        assert abs(mine['score'] - theirs['score']) < 1e-6
    assert {k: v for k, v in record.items()
            if k not in ('path', 'score', 'frame_scores')} == \
        {k: v for k, v in expected.items()
         if k not in ('path', 'score', 'frame_scores')}
    assert list(server.uploads.iterdir()) == []


@pytest.mark.slow
def test_bad_uploads_get_a_4xx_and_the_server_keeps_serving(
        server, ffpp, tmp_path):
    text = tmp_path / 'notes.mp4'
    text.write_text('not a video, only text with a video\'s name\n')
    response = post_file(server, text)
    assert response.status_code == 415
    assert response.json() == {'error': 'notes.mp4 is not a readable video'}

    big = tmp_path / 'big.mp4'
    big.write_bytes(b'\0' * (MAX_UPLOAD_MB * 2**20 + 100_000))
    response = post_file(server, big)
    assert response.status_code == 413
    assert f'{MAX_UPLOAD_MB} MB limit' in response.json()['error']

    blank = tmp_path / 'blank.png'
    cv2.imwrite(str(blank), np.full((90, 120, 3), 127, np.uint8))
    response = post_file(server, blank)
    assert response.status_code == 422
    assert response.json()['error'] == \
        'blank.png: no face found in 1 frame(s)'

    # still serving: a frame of the clip, as an image
    frame = tmp_path / 'frame.png'
    capture = cv2.VideoCapture(str(ffpp))
    cv2.imwrite(str(frame), capture.read()[1])
    capture.release()
    response = post_file(server, frame)
    assert response.status_code == 200, response.text
    assert response.json()['type'] == 'image'
    assert 0 <= response.json()['score'] <= 1
    assert server.proc.poll() is None
    assert list(server.uploads.iterdir()) == []


@pytest.mark.slow
def test_a_path_named_by_the_client_is_never_read(server, ffpp):
    with open(ffpp, 'rb') as f:
        response = post(server, files={'file': ('004.mp4', f)},
                        data={'path': '/etc/passwd'})
    assert response.status_code == 400
    assert "refusing fields ['path']" in response.json()['error']
    response = post(server, json={'path': '/etc/passwd'})
    assert response.status_code == 400
    assert 'never a path' in response.json()['error']
    response = post(server, files={'file': (None, '/etc/passwd')})
    assert response.status_code == 400
    assert 'must be an uploaded file' in response.json()['error']
    # a client-chosen file name only names the upload
    response = post_file(server, ffpp, name='../../../etc/passwd.mp4')
    assert response.status_code == 200
    assert response.json()['path'] == 'passwd.mp4'
    assert 'root:' not in response.text
    assert list(server.uploads.iterdir()) == []


def browser_or_skip():
    install = ('apt-get install chromium chromium-driver; pip install '
               'selenium')
    if shutil.which('chromium') is None and \
            shutil.which('chromium-browser') is None:
        pytest.skip(f'no chromium ({install})')
    if shutil.which('chromedriver') is None:
        pytest.skip(f'no chromedriver ({install})')
    pytest.importorskip('selenium', reason=f'no selenium ({install})')


def page_score(text):
    return re.search(r'fake probability (\S+) ', text).group(1)


def check_screenshot(path):
    assert path.is_file() and path.stat().st_size > 20_000
    image = cv2.imread(str(path))
    assert image.shape[0] >= 600 and image.std() > 10


@pytest.mark.slow
def test_browser_page_shows_infer_py_score(server, infer_record, ffpp,
                                           tmp_path):
    browser_or_skip()
    from qcdet.apis.scoring_page import score_in_browser
    expected, printed = infer_record
    endpoint = post_file(server, ffpp).json()['score']
    started = time.monotonic()
    text = score_in_browser(server.url + '/', ffpp, tmp_path / 'page.png',
                            timeout=240)
    seconds = time.monotonic() - started
    print(f'browser: upload to score on the page in {seconds:.1f} s')
    assert page_score(text) == printed == f'{endpoint:.4f}' == \
        f'{expected["score"]:.4f}'
    assert 'a face in 4 of 4 frame(s)' in text
    check_screenshot(tmp_path / 'page.png')
    # Gradio's copy of the upload is gone; ours never outlive a request
    assert not list(server.gradio_cache.rglob('*.mp4'))
    assert list(server.uploads.iterdir()) == []
    assert server.proc.poll() is None


@pytest.mark.slow
def test_screenshot_tool(checkpoint, infer_record, ffpp, tmp_path, cli):
    browser_or_skip()
    pytest.importorskip('gradio')
    out = tmp_path / 'docs' / 'serve_page.png'
    log = cli.run([cli.python, 'tools/misc/serve_screenshot.py', CONFIG,
                   str(checkpoint), str(ffpp), '--out', str(out), *FLAGS],
                  GRADIO_TEMP_DIR=str(tmp_path / 'gradio'))
    assert page_score(log) == infer_record[1]
    check_screenshot(out)
