"""Identity embedders: a face (image + landmarks) -> identity vector.

Each embedder says which landmarks it aligns with (``landmark_scheme``):
``'dlib5'`` (dlib's 5-point predictor) or ``'arcface5'`` (eye centres, nose
tip, mouth corners, as RetinaFace gives them).
"""
from pathlib import Path

import numpy as np

from .alignment import align_face
from .optional_imports import dlib_model_path, import_optional

__all__ = ['DlibFaceEmbedder', 'OnnxFaceEmbedder']


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


class OnnxFaceEmbedder:
    """An ArcFace-style recogniser exported to ONNX, given by a local path.

    The face is aligned to the 5-point ArcFace template at the model's input
    size (read from the model; 112 when dynamic), converted to RGB,
    normalised as ``(x - mean) / std`` and fed as NCHW (or NHWC when the
    model's last input axis is 3). The first output is L2-normalised.

    Args:
        model_path: local ``.onnx`` file.
        mean, std: input normalisation (ArcFace: 127.5, 127.5).
        providers: onnxruntime execution providers (default CPU).
        num_threads: onnxruntime intra-op threads (0: its default).
    """
    landmark_scheme = 'arcface5'

    def __init__(self, model_path, mean=127.5, std=127.5, providers=None,
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
        self.mean = float(mean)
        self.std = float(std)

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
