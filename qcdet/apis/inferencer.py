"""Score images and videos with a trained detector.

Faces are found and aligned with :class:`qcdet.faces.FaceCropper` - the same
path the preprocessing uses to make training crops - and each crop goes
through the config's test pipeline (without ``LoadFrame``: the crop is the
``img``), so the model sees faces at inference the way it saw them in
training.
"""
import copy
import logging
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from qcdet.faces import DEFAULT_FACE_DETECTOR, FaceCropper
from qcdet.registry import MODELS, TRANSFORMS
from qcdet.utils.checkpoint import use_safe_checkpoint_loading
from qcdet.utils.progress import progress_bar
from qcdet.utils.video import (
    VideoReadError,
    evenly_spaced_indices,
    iter_frames,
    video_frame_count,
)

__all__ = [
    'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'DeepfakeInferencer',
    'media_kind', 'list_media', 'sample_frame_indices', 'crop_size_from_cfg'
]

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif',
                    '.tiff')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv', '.flv')
DEFAULT_CROP_SIZE = 256


def media_kind(path: Union[str, Path]) -> Optional[str]:
    """``'image'``, ``'video'`` or None, from the file extension."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return 'image'
    if suffix in VIDEO_EXTENSIONS:
        return 'video'
    return None


def list_media(inputs: Sequence[Union[str, Path]]) -> List[Path]:
    """Files to score: each file as given, and the images and videos found
    (recursively, sorted) in each folder; other files in folders are
    skipped with a logged count."""
    paths = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            found = sorted(p for p in item.rglob('*') if p.is_file())
            media = [p for p in found if media_kind(p) is not None]
            if len(media) < len(found):
                print_log(f'{item}: skipped {len(found) - len(media)} '
                          'file(s) that are neither images nor videos',
                          logger='current', level=logging.INFO)
            paths.extend(media)
        else:
            paths.append(item)
    return paths


def sample_frame_indices(total: int, num_frames: int) -> List[int]:
    """``num_frames`` evenly spaced indices in ``[0, total)`` (all frames
    when the video is shorter), as the preprocessing samples them."""
    return evenly_spaced_indices(total, num_frames)


def crop_size_from_cfg(cfg: Config, default: int = DEFAULT_CROP_SIZE) -> int:
    """The square size of the test pipeline's ``Resize`` (the model's input
    size), or ``default`` when it has none or it is not square."""
    for transform in cfg.test_dataloader.dataset.pipeline:
        if str(transform.get('type', '')).split('.')[-1] != 'Resize':
            continue
        scale = transform.get('scale')
        if isinstance(scale, int):
            return scale
        if isinstance(scale, (tuple, list)) and len(scale) == 2 and \
                scale[0] == scale[1]:
            return int(scale[0])
    return default


def _test_transforms(cfg: Config) -> Compose:
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'pipeline')
    if not pipeline:
        raise KeyError('the config needs test_dataloader.dataset.pipeline '
                       'to prepare faces for the model')
    kept = [copy.deepcopy(t) for t in pipeline
            if str(t.get('type', '')).split('.')[-1] != 'LoadFrame']
    return Compose([TRANSFORMS.build(t) for t in kept])


class DeepfakeInferencer:
    """Fake probability for the faces in an image or a video.

    Args:
        config: config file or :class:`Config` the model was trained with.
        checkpoint: local checkpoint file (loaded through MMEngine's loader,
            which qcdet makes safe on torch >= 2.6).
        device: ``'cuda'``, ``'cpu'``, ...; default: CUDA when available.
        detector: face detector of :class:`FaceCropper`: ``'cascade'``
            (default, as the preprocessing), ``'dlib'`` or ``'retinaface'``.
        num_frames: frames decoded per video, evenly spaced.
        aggregation: ``'mean'`` or ``'max'`` of the frames' fake
            probabilities gives the video's score.
        threshold: score above which an input is labelled fake.
        crop_size: aligned crop size; default: the test pipeline's Resize
            (256 when it has none). margin: FaceCropper's zoom-out (1.3, as
            the preprocessing).
        detector_cfg: keyword arguments of the detector; default: the
            preprocessing's (:func:`qcdet.faces.default_detector_cfg`).
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: str,
                 device: Optional[str] = None,
                 detector: str = DEFAULT_FACE_DETECTOR,
                 num_frames: int = 32,
                 aggregation: str = 'mean',
                 threshold: float = 0.5,
                 crop_size: Optional[int] = None,
                 margin: float = 1.3,
                 detector_cfg: Optional[dict] = None):
        if aggregation not in ('mean', 'max'):
            raise ValueError(
                f'aggregation must be "mean" or "max", got {aggregation!r}')
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        init_default_scope(cfg.get('default_scope', 'qcdet'))
        self.cfg = cfg
        self.device = device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        self.model = MODELS.build(cfg.model)
        use_safe_checkpoint_loading()
        load_checkpoint(self.model, checkpoint, map_location='cpu',
                        strict=True, logger='current')
        self.model.to(self.device).eval()
        self.transforms = _test_transforms(cfg)
        self.num_frames = int(num_frames)
        self.aggregation = aggregation
        self.threshold = float(threshold)
        self.crop_size = int(crop_size or crop_size_from_cfg(cfg))
        self.cropper = FaceCropper(detector, size=self.crop_size,
                                   margin=margin, detector_cfg=detector_cfg)

    def pack_crop(self, crop: np.ndarray) -> dict:
        """An aligned BGR crop through the test pipeline."""
        # label is a placeholder PackDeepfakeInputs requires; prediction
        # does not read it
        return self.transforms(dict(img=crop, img_shape=crop.shape[:2],
                                    ori_shape=crop.shape[:2], label=0))

    def model_input(self, crop: np.ndarray) -> torch.Tensor:
        """The crop as the detector's forward gets it (test pipeline, then
        the data preprocessor): what Grad-CAM explains."""
        batch = self.model.data_preprocessor(
            pseudo_collate([self.pack_crop(crop)]), False)
        return batch['inputs']

    @torch.no_grad()
    def score_crops(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Fake probabilities of aligned BGR face crops."""
        if len(crops) == 0:
            return np.zeros(0, dtype=np.float64)
        packed = [self.pack_crop(crop) for crop in crops]
        outputs = self.model.test_step(pseudo_collate(packed))
        return np.array([float(o.pred_score[1]) for o in outputs])

    def score_frame(self, frame: np.ndarray) -> Tuple[Optional[float],
                                                      Optional[np.ndarray]]:
        """Fake probability and box of the largest face, or (None, None)."""
        crop = self.cropper.crop(frame)
        if crop is None:
            return None, None
        return float(self.score_crops([crop.image])[0]), crop.box

    def __call__(self, path: Union[str, Path],
                 on_frame: Optional[Callable] = None,
                 progress: Optional[bool] = False) -> dict:
        """The record of one image or video (see :meth:`predict_frames`).

        ``on_frame(frame_idx, frame, score, box)`` is called for every
        decoded frame (to draw it); ``progress`` shows a bar over a video's
        frames (None: only on a terminal).
        """
        path = Path(path)
        kind = media_kind(path)
        if not path.is_file():
            return self._failed(path, kind, f'file not found: {path}')
        if kind == 'image' or kind is None:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:
                return self.predict_frames(path, 'image', [(0, image)],
                                           on_frame)
            if kind == 'image':
                return self._failed(path, kind,
                                    f'cannot read image file {path}')
        try:
            frames = self.read_video(path, progress=progress)
            first = next(frames)
        except (VideoReadError, StopIteration):
            return self._failed(
                path, kind, f'cannot read {path} as an image or a video'
                if kind is None else f'cannot decode video file {path}')
        return self.predict_frames(path, 'video',
                                   _chain_first(first, frames), on_frame)

    def read_video(
            self, path: Union[str, Path], progress: Optional[bool] = False
    ) -> Iterator[Tuple[int, np.ndarray]]:
        """``(frame_idx, BGR frame)`` for ``num_frames`` evenly spaced
        frames, with the preprocessing's decoder (exact frames)."""
        wanted = sample_frame_indices(video_frame_count(path),
                                      self.num_frames)
        bar = progress_bar(len(wanted), f'{Path(path).name}', unit='frame',
                            enabled=progress)
        try:
            for index, frame in iter_frames(path, wanted):
                bar.update(1)
                yield index, frame
        finally:
            bar.close()

    def predict_frames(self, path, kind: str,
                       frames: Iterator[Tuple[int, np.ndarray]],
                       on_frame: Optional[Callable] = None) -> dict:
        """Score each frame's largest face and aggregate.

        Record keys: ``path``, ``type``, ``score`` (aggregated fake
        probability, null without faces), ``label`` (``'fake'``/``'real'``
        at ``threshold``), ``threshold``, ``aggregation``, ``frames_used``
        (frames decoded), ``faces_found``, ``frame_scores`` (per frame:
        ``frame_idx``, ``score``, ``box`` [x1, y1, x2, y2] or nulls) and
        ``reason`` (why there is no score, else null).
        """
        frame_scores = []
        for frame_idx, frame in frames:
            score, box = self.score_frame(frame)
            frame_scores.append(dict(
                frame_idx=int(frame_idx), score=score,
                box=None if box is None else [float(v) for v in box]))
            if on_frame is not None:
                on_frame(frame_idx, frame, score, box)
        scores = [f['score'] for f in frame_scores if f['score'] is not None]
        record = dict(path=str(path), type=kind, score=None, label=None,
                      threshold=self.threshold, aggregation=self.aggregation,
                      frames_used=len(frame_scores), faces_found=len(scores),
                      frame_scores=frame_scores, reason=None)
        if not scores:
            record['reason'] = f'no face found in {len(frame_scores)} ' \
                f'frame(s)'
            return record
        score = float(np.mean(scores) if self.aggregation == 'mean' else
                      np.max(scores))
        record['score'] = score
        record['label'] = 'fake' if score > self.threshold else 'real'
        return record

    def _failed(self, path, kind, reason: str) -> dict:
        return dict(path=str(path), type=kind, score=None, label=None,
                    threshold=self.threshold, aggregation=self.aggregation,
                    frames_used=0, faces_found=0, frame_scores=[],
                    reason=reason)


def _chain_first(first, rest):
    yield first
    yield from rest

