import warnings

import numpy as np
import pytest
from face_frames import original_video, read_frames

from qcdet.faces import (
    ARCFACE_TEMPLATE_112,
    DlibFaceEmbedder,
    DlibHOGDetector,
    DlibLandmarkPredictor,
    OnnxFaceEmbedder,
    align_face,
)

torch = pytest.importorskip('torch')


class TinyEmbedder(torch.nn.Module):
    """Random stand-in for an ArcFace network: 3x112x112 -> 64-d."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 4, stride=4)
        self.fc = torch.nn.Linear(8 * 4 * 4, 64)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        x = torch.nn.functional.adaptive_avg_pool2d(x, 4)
        return self.fc(x.flatten(1))


@pytest.fixture(scope='module')
def tiny_onnx(tmp_path_factory):
    pytest.importorskip('onnx', reason='onnx is not installed')
    pytest.importorskip('onnxruntime', reason='onnxruntime is not installed')
    torch.manual_seed(0)
    model = TinyEmbedder().eval()
    path = tmp_path_factory.mktemp('onnx') / 'tiny_embedder.onnx'
    with warnings.catch_warnings():
        # the TorchScript exporter is deprecated, but needs no onnxscript
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(model, torch.zeros(1, 3, 112, 112), str(path),
                          input_names=['face'], output_names=['embedding'],
                          dynamo=False)
    return model, path


def random_face(seed, size=160):
    return np.random.default_rng(seed).integers(
        0, 256, (size, size, 3), dtype=np.uint8)


def test_onnx_embedder_matches_torch(tiny_onnx):
    model, path = tiny_onnx
    embedder = OnnxFaceEmbedder(path)
    assert embedder.input_name == 'face' and embedder.input_size == 112
    image = random_face(0)
    landmarks = ARCFACE_TEMPLATE_112 + 20  # face somewhere in the image

    embedding = embedder(image, landmarks)
    crop = align_face(image, landmarks, 112)
    rgb = crop[..., ::-1].astype(np.float32)
    x = torch.from_numpy(((rgb - 127.5) / 127.5).transpose(2, 0, 1).copy())
    with torch.no_grad():
        expected = model(x[None])[0].double().numpy()
    expected /= np.linalg.norm(expected)
    assert embedding.shape == (64, )
    assert np.linalg.norm(embedding) == pytest.approx(1.0)
    np.testing.assert_allclose(embedding, expected, atol=1e-5)


def test_onnx_embedder_identical_and_different_faces(tiny_onnx):
    embedder = OnnxFaceEmbedder(tiny_onnx[1])
    landmarks = ARCFACE_TEMPLATE_112 + 20
    a = embedder(random_face(1), landmarks)
    assert float(a @ embedder(random_face(1), landmarks)) == pytest.approx(
        1.0, abs=1e-6)
    assert float(a @ embedder(random_face(2), landmarks)) < 0.9999


def test_onnx_embedder_missing_model(tmp_path):
    pytest.importorskip('onnxruntime', reason='onnxruntime is not installed')
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        OnnxFaceEmbedder(tmp_path / 'missing.onnx')


def test_dlib_embedder_on_a_real_face():
    pytest.importorskip('dlib', reason='dlib-bin is not installed')
    pytest.importorskip('face_recognition_models',
                        reason='face_recognition_models is not installed')
    frame_a, frame_b = read_frames(original_video('004'), [40, 200])
    detector = DlibHOGDetector(upsample_num_times=0, scale=0.5)
    predictor = DlibLandmarkPredictor(5)
    embedder = DlibFaceEmbedder()
    landmarks_a = predictor(frame_a, detector(frame_a)[0].box)
    landmarks_b = predictor(frame_b, detector(frame_b)[0].box)
    assert embedder.face_chip(frame_a, landmarks_a).shape == (150, 150, 3)
    a, b = embedder(frame_a, landmarks_a), embedder(frame_b, landmarks_b)
    assert a.shape == (128, )
    assert np.linalg.norm(a - embedder(frame_a, landmarks_a)) < 1e-6
    # two frames of one person: within dlib's same-person distance
    assert np.linalg.norm(a - b) < 0.6
