"""The paper's static score with ArcFace: the published model is fetched
into the model cache through the real download code (from a server the test
runs on 127.0.0.1, standing in for the ONNX Model Zoo), is the default
backend of score_static.py where available, and offline the tool says what
to do."""
import hashlib
import importlib.util
import io
import json
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from qcdet.faces import (
    ARCFACE_SOURCE,
    ArcFaceEmbedder,
    OnnxFaceEmbedder,
    fetch_arcface_model,
    scales_input_inside,
)
from qcdet.offline.quality_evaluators import IdentitySimilarityEvaluator

torch = pytest.importorskip('torch')
pytest.importorskip('onnxruntime', reason='onnxruntime is not installed')
REPO = Path(__file__).resolve().parents[2]


class TinyArcFace(torch.nn.Module):
    """A random stand-in for ArcFace (1x3x112x112 -> 512-d) that, like the
    MXNet original, scales its [0, 255] input itself when ``scales``."""

    def __init__(self, scales=True):
        super().__init__()
        self.scales = scales
        self.conv = torch.nn.Conv2d(3, 4, 8, stride=8)
        self.fc = torch.nn.Linear(4 * 14 * 14, 512)

    def forward(self, x):
        if self.scales:
            x = (x - 127.5) * 0.0078125
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def onnx_bytes(net):
    model = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(net.eval(), torch.zeros(1, 3, 112, 112), model,
                          input_names=['data'], output_names=['fc1'],
                          dynamo=False)
    return model.getvalue()


def tiny_arcface_archive():
    """A tar.gz laid out as the model zoo's: one .onnx beside test data."""
    torch.manual_seed(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w:gz') as tar:
        for name, data in (('resnet100/resnet100.onnx',
                            onnx_bytes(TinyArcFace())),
                           ('resnet100/test_data_set_0/input_0.pb', b'0')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_input_scaling_is_read_from_the_graph(tmp_path):
    inside, outside = tmp_path / 'inside.onnx', tmp_path / 'outside.onnx'
    inside.write_bytes(onnx_bytes(TinyArcFace(scales=True)))
    outside.write_bytes(onnx_bytes(TinyArcFace(scales=False)))
    assert scales_input_inside(inside) and not scales_input_inside(outside)
    assert (OnnxFaceEmbedder(inside).mean,
            OnnxFaceEmbedder(inside).std) == (0.0, 1.0)
    assert (OnnxFaceEmbedder(outside).mean,
            OnnxFaceEmbedder(outside).std) == (127.5, 127.5)
    assert OnnxFaceEmbedder(inside, mean=127.5, std=127.5).std == 127.5


@pytest.fixture
def served_arcface(http_folder, monkeypatch):
    folder, base = http_folder
    archive = tiny_arcface_archive()
    (folder / 'arcfaceresnet100-8.tar.gz').write_bytes(archive)
    monkeypatch.setitem(ARCFACE_SOURCE, 'url',
                        f'{base}/arcfaceresnet100-8.tar.gz')
    monkeypatch.setitem(ARCFACE_SOURCE, 'sha256',
                        hashlib.sha256(archive).hexdigest())


@pytest.fixture
def arcface_offline(closed_port_url, monkeypatch):
    monkeypatch.setitem(ARCFACE_SOURCE, 'url',
                        f'{closed_port_url}/arcfaceresnet100-8.tar.gz')


def test_arcface_model_is_fetched_and_fed_rgb_0_255(served_arcface):
    path = fetch_arcface_model()
    assert Path(path).name == 'arcfaceresnet100-8.onnx'
    embedder = ArcFaceEmbedder()
    assert embedder.model_path == path and embedder.input_size == 112
    image = np.full((160, 160, 3), (10, 20, 200), dtype=np.uint8)  # BGR
    landmarks = np.array([[58., 70.], [102., 70.], [80., 92.], [62., 114.],
                          [98., 114.]])
    batch = embedder.preprocess(image, landmarks)
    assert batch.shape == (1, 3, 112, 112)
    centre = batch[0, :, 56, 56]
    np.testing.assert_allclose(centre, [200, 20, 10])  # RGB, unscaled
    embedding = embedder(image, landmarks)
    assert embedding.shape == (512, )
    assert np.linalg.norm(embedding) == pytest.approx(1.0)


def ffpp_pair(shared_data):
    examples = shared_data / 'faceforensics-examples'
    fake, real = examples / 'ex_deepfakes.png', examples / 'ex_original.png'
    if not (fake.is_file() and real.is_file()):
        pytest.skip(f'FF++ example frames absent in {examples}')
    return fake, real


def test_arcface_evaluator_scores_a_real_pair(served_arcface, shared_data):
    fake, real = ffpp_pair(shared_data)
    evaluator = IdentitySimilarityEvaluator(backend='arcface',
                                            detector='retinaface')
    assert evaluator.name == 'identity_arcface'
    score = evaluator.score_paths(str(fake), str(real))
    assert 0.0 <= score <= 1.0
    assert evaluator.score_paths(str(real), str(real)) == pytest.approx(
        1.0, abs=1e-6)


def score_static():
    spec = importlib.util.spec_from_file_location(
        'score_static', REPO / 'tools' / 'quality' / 'score_static.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool.main


def annotation(tmp_path, shared_data):
    fake, real = ffpp_pair(shared_data)
    ann = tmp_path / 'train.json'
    ann.write_text(json.dumps(dict(metainfo={}, data_list=[
        dict(img_path=str(real), label=0),
        dict(img_path=str(fake), label=1, method='Deepfakes',
             pair_path=str(real))])))
    return ann


def written_backend(path):
    metainfo = json.loads(Path(path).read_text())['metainfo']
    return metainfo['static_quality_evaluator']['backend']


def test_score_static_defaults_to_arcface(served_arcface, shared_data,
                                          tmp_path):
    ann = annotation(tmp_path, shared_data)
    score_static()([str(ann), '--out', str(tmp_path / 'out.json'),
                    '--detector', 'retinaface', '--no-progress'])
    assert written_backend(tmp_path / 'out.json') == 'arcface'


def test_score_static_offline(arcface_offline, shared_data, tmp_path,
                              capsys):
    ann = annotation(tmp_path, shared_data)
    main = score_static()
    with pytest.raises(SystemExit) as error:
        main([str(ann), '--out', str(tmp_path / 'x.json'),
              '--backend', 'arcface'])
    message = str(error.value.code)
    url = ARCFACE_SOURCE['url']
    assert message.startswith(f'ERROR: Cannot download {url}')
    assert 'arcfaceresnet100-8.tar.gz' in message
    assert 'Or score with --backend dlib.' in message
    assert not (tmp_path / 'x.json').exists()

    # the default falls back to dlib, and says so
    main([str(ann), '--out', str(tmp_path / 'auto.json'), '--no-progress'])
    assert written_backend(tmp_path / 'auto.json') == 'dlib'
    assert 'WARNING: the ArcFace model is not available' in \
        capsys.readouterr().err
