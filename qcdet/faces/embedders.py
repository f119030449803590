"""Identity embedders: a face (image + landmarks) -> identity vector.

Each embedder says which landmarks it aligns with (``landmark_scheme``):
``'dlib5'`` (dlib's 5-point predictor) or ``'arcface5'`` (eye centres, nose
tip, mouth corners, as RetinaFace gives them).
"""
from pathlib import Path

import numpy as np

from qcdet.utils.download import fetch_model_file

from .alignment import align_face
from .optional_imports import dlib_model_path, import_optional

__all__ = ['DlibFaceEmbedder', 'OnnxFaceEmbedder', 'ArcFaceEmbedder',
           'ARCFACE_SOURCE', 'fetch_arcface_model', 'scales_input_inside']

# The paper's recogniser, ArcFace LResNet100E-IR (InsightFace, trained on
# refined MS-Celeb-1M), as the ONNX Model Zoo publishes it (Apache-2.0). The
# archive's SHA-256 is its Git LFS object id in github.com/onnx/models.
ARCFACE_SOURCE = dict(
    url='https://github.com/onnx/models/raw/main/validated/vision/'
    'body_analysis/arcface/model/arcfaceresnet100-8.tar.gz',
    sha256='f7098d004468725906a805e50d772eabc95e31f57eedeaaa72aeab8225598c2a',
    member='*.onnx')


def fetch_arcface_model(hint: str = 'score with --backend dlib') -> str:
    """Local path of the ArcFace ONNX model, downloaded and checked into the
    model cache on first use (:func:`qcdet.utils.fetch_model_file`)."""
    return fetch_model_file(ARCFACE_SOURCE['url'],
                            sha256=ARCFACE_SOURCE['sha256'],
                            member=ARCFACE_SOURCE['member'], hint=hint)


class DlibFaceEmbedder:
    """dlib's ResNet face recogniser
    (``dlib_face_recognition_resnet_model_v1``) on the 150x150 chip dlib
    aligns from its 5-point landmarks.

    The 128-d descriptors are returned as they are (not normalised): dlib's
    same-person rule is a Euclidean distance below 0.6 on these vectors.
    """
    landmark_scheme = 'dlib5'
    chip_size = 150
    chip_padding = 0.25

    def __init__(self, model_path=None, num_jitters=0):
        self._dlib = import_optional('dlib', 'DlibFaceEmbedder')
        if model_path is None:
            model_path = dlib_model_path('face_recognition_resnet')
        self.model_path = str(model_path)
        self.num_jitters = int(num_jitters)
        self._model = self._dlib.face_recognition_model_v1(self.model_path)

    def face_chip(self, image_bgr, landmarks):
        """dlib's aligned RGB chip from dlib's 5 landmarks ``(5, 2)``."""
        landmarks = np.asarray(landmarks, dtype=np.float64)
        if landmarks.shape != (5, 2):
            raise ValueError(
                f'expected dlib 5-point landmarks (5, 2), got '
                f'{landmarks.shape}')
        dlib = self._dlib
        points = [dlib.point(int(round(x)), int(round(y)))
                  for x, y in landmarks]
        # the chip depends on the parts only; the rectangle is a formality
        x1, y1 = landmarks.min(axis=0).astype(int)
        x2, y2 = landmarks.max(axis=0).astype(int)
        shape = dlib.full_object_detection(
            dlib.rectangle(int(x1), int(y1), int(x2), int(y2)), points)
        rgb = np.ascontiguousarray(image_bgr[..., ::-1])
        return dlib.get_face_chip(rgb, shape, size=self.chip_size,
                                  padding=self.chip_padding)

    def __call__(self, image_bgr, landmarks):
        chip = self.face_chip(image_bgr, landmarks)
        descriptor = self._model.compute_face_descriptor(
            chip, self.num_jitters)
        return np.asarray(descriptor, dtype=np.float64)


def scales_input_inside(model_path) -> bool:
    """Whether an ONNX face model scales its input itself (a Sub and a Mul
    among its first nodes, as ArcFace models converted from MXNet do): such
    a model takes pixels in [0, 255]. InsightFace's loader decides the
    same way."""
    onnx = import_optional('onnx', 'reading an ONNX face model')
    graph = onnx.load(str(model_path), load_external_data=False).graph
    return {'Sub', 'Mul'} <= {node.op_type for node in graph.node[:8]}


class OnnxFaceEmbedder:
    """An ArcFace-style recogniser exported to ONNX, given by a local path.

    The face is aligned to the 5-point ArcFace template at the model's input
    size (read from the model; 112 when dynamic), converted to RGB,
    normalised as ``(x - mean) / std`` and fed as NCHW (or NHWC when the
    model's last input axis is 3). The first output is L2-normalised.

    Args:
        model_path: local ``.onnx`` file.
        mean, std: input normalisation. None (default): 0 and 1 for a model
            that scales its input itself (:func:`scales_input_inside`), else
            127.5 and 127.5 (InsightFace's models).
        providers: onnxruntime execution providers (default CPU).
        num_threads: onnxruntime intra-op threads (0: its default).
    """
    landmark_scheme = 'arcface5'

    def __init__(self, model_path, mean=None, std=None, providers=None,
                 num_threads=0):
        ort = import_optional('onnxruntime', 'OnnxFaceEmbedder')
        model_path = Path(model_path)
        if not model_path.is_file():
            raise FileNotFoundError(f'ONNX face model not found: {model_path}')
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = int(num_threads)
        self.model_path = str(model_path)
        self._session = ort.InferenceSession(
            self.model_path, sess_options=options,
            providers=providers or ['CPUExecutionProvider'])
        model_input = self._session.get_inputs()[0]
        self.input_name = model_input.name
        self.channels_last, self.input_size = self._read_layout(
            model_input.shape, self.model_path)
        if mean is None and std is None:
            mean, std = ((0.0, 1.0) if scales_input_inside(model_path) else
                         (127.5, 127.5))
        self.mean = float(127.5 if mean is None else mean)
        self.std = float(127.5 if std is None else std)

    @staticmethod
    def _read_layout(shape, model_path):
        if len(shape) != 4:
            raise ValueError(f'{model_path}: expected a 4-d image input, '
                             f'got shape {shape}')
        channels_last = shape[3] == 3 and shape[1] != 3
        height, width = (shape[1], shape[2]) if channels_last else (shape[2],
                                                                    shape[3])
        sizes = [s for s in (height, width) if isinstance(s, int)]
        if len(set(sizes)) > 1:
            raise ValueError(f'{model_path}: non-square input {height}x'
                             f'{width} is not supported')
        return channels_last, (sizes[0] if sizes else 112)

    def preprocess(self, image_bgr, landmarks):
        """Aligned, normalised ``1 x 3 x S x S`` (or NHWC) float32 batch."""
        crop = align_face(image_bgr, landmarks, size=self.input_size)
        rgb = crop[..., ::-1].astype(np.float32)
        tensor = (rgb - self.mean) / self.std
        if not self.channels_last:
            tensor = tensor.transpose(2, 0, 1)
        return np.ascontiguousarray(tensor[None])

    def __call__(self, image_bgr, landmarks):
        batch = self.preprocess(image_bgr, landmarks)
        output = self._session.run(None, {self.input_name: batch})[0]
        embedding = np.asarray(output, dtype=np.float64).reshape(-1)
        norm = np.linalg.norm(embedding)
        if not np.isfinite(norm) or norm == 0:
            raise ValueError(f'{self.model_path} gave a zero or non-finite '
                             'embedding')
        return embedding / norm


class ArcFaceEmbedder(OnnxFaceEmbedder):
    """The published ArcFace model (:data:`ARCFACE_SOURCE`), fetched into the
    model cache on first use; or a local copy of it at ``model_path``. Its
    graph scales the input itself (the MXNet original subtracts 127.5 and
    multiplies by 1/128 inside), so it is fed RGB in [0, 255]."""

    def __init__(self, model_path=None, providers=None, num_threads=0):
        if model_path is None:
            model_path = fetch_arcface_model()
        super().__init__(model_path, providers=providers,
                         num_threads=num_threads)
