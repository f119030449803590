"""One frame per record, real or fake, with the real/fake pairing FreDA and
static quality scoring need."""
import logging
import os.path as osp
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from torch.utils.data import get_worker_info

from qcdet.registry import DATASETS
from qcdet.utils.seeding import seeded_rng

from .annotation_file import (
    QCDET_FORMAT,
    AnnotationError,
    check_annotation,
    check_record,
    join_data_root,
    read_annotation_file,
)
from .deepfakebench import is_deepfakebench_index, parse_deepfakebench_index
from .frame_check import UnreadableFrame, unreadable_frames
from .samplers.curriculum_contract import QC_EASY
from .transforms.self_blend import LANDMARKS_HELP, SelfBlend

__all__ = ['DeepfakeDataset']

OPTIONAL_KEYS = dict(video_id=None, dataset=None, method=None, frame_idx=None,
                     pair_path=None, static_quality=None)
#: ``method`` and ``video_id`` prefix of the self-blend records
SELF_BLEND_METHOD = 'self_blend'


@DATASETS.register_module()
class DeepfakeDataset(BaseDataset):
    """Deepfake frames from a qcdet (MMEngine-format) annotation file or a
    DeepfakeBench JSON index.

    Args:
        ann_file (str): annotation file. MMEngine format
            (``{"metainfo": ..., "data_list": [...]}``, see docs/contracts.md)
            or DeepfakeBench's nested index (detected automatically).
        data_root (str): prefix of relative ``img_path``/``pair_path``.
        dataset_names (Sequence[str], optional): DeepfakeBench index only:
            which top-level datasets to read (default: all).
        split (str): DeepfakeBench index only: ``train``/``val``/``test``.
        compression (str): DeepfakeBench index only: FF++-style compression
            level (``c23``) where the index has one.
        label_map (dict, optional): DeepfakeBench index only: label name →
            0/1 (default: names containing ``real`` are 0, others 1).
        skip_unreadable (bool): drop records whose frame is missing or does
            not decode (checked once when the data list loads), logging how
            many and which; ``skipped_frames`` lists them. tools/test.py
            sets it, so one bad frame does not end a test. Default False:
            training data is checked with tools/misc/verify_dataset.py.
        reals_only (bool): keep the reals (label 0) only, logging how many
            fakes were left out: training from reals alone, e.g. with
            self-blended images.
        self_blend (bool): add one self-blend record per real that has
            ``landmarks`` (reals without them get none, counted in the log):
            label 1, method ``'self_blend'``, ``video_id``
            ``'self_blend/<the real's video_id>'``, ``pair_path`` and
            ``img_path`` the real's frame, ``self_blend=True`` and a realism
            level ``sbi_realism`` (also its ``static_quality``) spread evenly
            over [0, 1] (``(k + 0.5) / n`` in an order drawn from
            ``self_blend_seed``). The pipeline's ``SelfBlend`` turns such a
            record into its self-blend, at that realism (docs/sbi.md).
        self_blend_seed (int): seed of the realism levels' order.
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset`.

    A record may carry ``landmarks``: 68 ``[x, y]`` in its image's pixels
    (``tools/data/preprocess.py --landmarks``, the demo data). They are
    checked when the data list loads (a malformed entry raises an
    ``AnnotationError`` naming the file and record) and reach the pipeline
    as a ``(68, 2)`` float32 array.

    ``dataset[(i, easy)]`` and ``dataset[(i, easy, seed)]`` are accepted as
    well as ``dataset[i]``: the curriculum sampler marks fakes for FreDA (and
    seeds their augmentation) this way, so the decision travels with the
    index into DataLoader workers.
    """
    METAINFO = dict(classes=('real', 'fake'))

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 dataset_names: Optional[Sequence[str]] = None,
                 split: str = 'train',
                 compression: str = 'c23',
                 label_map: Optional[dict] = None,
                 skip_unreadable: bool = False,
                 reals_only: bool = False,
                 self_blend: bool = False,
                 self_blend_seed: int = 0,
                 **kwargs):
        self.skip_unreadable = skip_unreadable
        self.reals_only = reals_only
        self.self_blend = self_blend
        self.self_blend_seed = int(self_blend_seed)
        self.skipped_frames: List[UnreadableFrame] = []
        self.dataset_names = dataset_names
        self.split = split
        self.compression = compression
        self.label_map = label_map
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)
        self._check_pipeline()

    def _check_pipeline(self) -> None:
        """A transform that limits what may come before it (e.g.
        ``SelfBlend``: its landmarks are in the loaded image's pixels)
        defines ``check_earlier_transforms(transforms)``; it runs here, when
        the dataset is built, rather than failing later in a DataLoader
        worker."""
        transforms = self.pipeline.transforms
        for i, transform in enumerate(transforms):
            check = getattr(transform, 'check_earlier_transforms', None)
            if check is not None:
                check(transforms[:i])
        if self.self_blend:
            blenders = [t for t in transforms if isinstance(t, SelfBlend)]
            if not blenders:
                raise ValueError(
                    f'{self.ann_file}: self_blend=True adds self-blend '
                    'records (label 1) that only a SelfBlend transform turns '
                    'into fakes, and the pipeline has none; without it they '
                    'would be reals labelled fake. Add '
                    "dict(type='SelfBlend') right after LoadFrame")
            for blender in blenders:
                if getattr(blender, 'apply_to', 'marked') != 'marked':
                    raise ValueError(
                        f"SelfBlend(apply_to={blender.apply_to!r}) would "
                        'blend the reals too; with self_blend=True use '
                        "apply_to='marked' (the default)")

    # ------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        raw = read_annotation_file(self.ann_file)
        if is_deepfakebench_index(raw):
            records = parse_deepfakebench_index(
                raw, split=self.split, compression=self.compression,
                dataset_names=self.dataset_names, label_map=self.label_map)
            if not records:
                raise AnnotationError(
                    f'{self.ann_file}: the DeepfakeBench index has no '
                    f'{self.split!r} videos for datasets '
                    f'{self.dataset_names or sorted(raw)}')
        elif isinstance(raw, dict) and 'data_list' in raw:
            annotation = check_annotation(raw, self.ann_file)
            for k, v in annotation.get('metainfo', {}).items():
                self._metainfo.setdefault(k, v)
            records = annotation['data_list']
        else:
            raise AnnotationError(
                f'{self.ann_file} is neither a qcdet annotation file '
                f'({QCDET_FORMAT}) nor a DeepfakeBench JSON index (dataset '
                '-> label -> split -> videos)')
        data_list = [self._parse_record(r, i) for i, r in enumerate(records)]
        self._check_video_ids(data_list)
        if self.skip_unreadable:
            data_list = self._drop_unreadable(data_list)
        if self.reals_only:
            data_list = self._keep_reals(data_list)
        if self.self_blend:
            data_list = data_list + self._self_blend_records(data_list)
        return data_list

    def _keep_reals(self, data_list: List[dict]) -> List[dict]:
        reals = [d for d in data_list if d['label'] == 0]
        left_out = len(data_list) - len(reals)
        if not reals:
            raise AnnotationError(
                f'{self.ann_file}: reals_only=True, and none of its '
                f'{len(data_list)} record(s) is a real (label 0)')
        print_log(f'{self.ann_file}: reals_only: {len(reals)} reals kept, '
                  f'{left_out} fakes left out', logger='current')
        return reals

    def _self_blend_records(self, data_list: List[dict]) -> List[dict]:
        """One self-blend record per real with landmarks, each with its
        realism level (docs/sbi.md)."""
        reals = [i for i, d in enumerate(data_list) if d['label'] == 0]
        sources = [i for i in reals
                   if data_list[i].get('landmarks') is not None]
        if not sources:
            raise AnnotationError(
                f'{self.ann_file}: self_blend=True needs landmarks on the '
                f'reals, and none of its {len(reals)} real(s) has them. It '
                f'needs {LANDMARKS_HELP}')
        order = np.random.default_rng(self.self_blend_seed).permutation(
            len(sources))
        levels = (order + 0.5) / len(sources)
        blends = []
        for source, level in zip(sources, levels):
            real = data_list[source]
            record = dict(real)
            record.update(label=1, method=SELF_BLEND_METHOD,
                          video_id=f'{SELF_BLEND_METHOD}/{real["video_id"]}',
                          pair_path=real['img_path'], self_blend=True,
                          sbi_realism=float(level),
                          static_quality=float(level),
                          sbi_source_index=source)
            blends.append(record)
        missing = len(reals) - len(sources)
        print_log(
            f'{self.ann_file}: self_blend: {len(blends)} self-blend records '
            '(one per real with landmarks, realism levels spread evenly '
            'over [0, 1])' + (f'; {missing} real(s) without landmarks get '
                              'none' if missing else ''),
            logger='current',
            level=logging.WARNING if missing else logging.INFO)
        return blends

    def _drop_unreadable(self, data_list: List[dict]) -> List[dict]:
        self.skipped_frames = unreadable_frames(
            data_list)
        if not self.skipped_frames:
            return data_list
        shown = '; '.join(f.reason for f in self.skipped_frames[:3])
        print_log(f'{self.ann_file}: skipped {len(self.skipped_frames)} of '
                  f'{len(data_list)} frame(s) that cannot be read ({shown}'
                  f'{"; ..." if len(self.skipped_frames) > 3 else ""}); '
                  'list them all with tools/misc/verify_dataset.py',
                  logger='current', level=logging.WARNING)
        bad = {f.index for f in self.skipped_frames}
        kept = [d for i, d in enumerate(data_list) if i not in bad]
        if not kept:
            raise AnnotationError(
                f'{self.ann_file}: none of its {len(data_list)} frame(s) can '
                f'be read (first: {self.skipped_frames[0].reason})')
        return kept

    def _parse_record(self, record: dict, index: int) -> dict:
        """A checked record with the optional keys filled in and paths
        joined with ``data_root``."""
        check_record(record, f'{self.ann_file}, record {index}')
        label = record['label']
        info = dict(OPTIONAL_KEYS)
        info.update(record)
        info['label'] = int(label)
        if info.get('landmarks') is not None:
            info['landmarks'] = self._check_landmarks(info['landmarks'],
                                                      record, index)
        info['img_path'] = self._join(info['img_path'])
        if info['pair_path']:
            info['pair_path'] = self._join(info['pair_path'])
        else:
            info['pair_path'] = None
        if info['method'] is None:
            info['method'] = 'real' if label == 0 else 'unknown'
        if info['dataset'] is None:
            info['dataset'] = self._metainfo.get('dataset', 'unknown')
        if info['video_id'] is None:
            # frames of one folder form one video, kept apart per method
            info['video_id'] = '/'.join(
                (str(info['dataset']), str(info['method']),
                 osp.dirname(record['img_path']) or record['img_path']))
        if info['frame_idx'] is None:
            info['frame_idx'] = index
        return info

    def _check_landmarks(self, landmarks, record: dict,
                         index: int) -> np.ndarray:
        """68 finite ``[x, y]`` as a ``(68, 2)`` float32 array, or an
        ``AnnotationError`` naming the file and the record."""
        where = (f'{self.ann_file}, record {index} '
                 f'({record.get("img_path")})')
        try:
            points = np.asarray(landmarks, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise AnnotationError(
                f'{where}: landmarks must be 68 [x, y] numbers ({err})'
            ) from err
        if points.shape != (68, 2):
            raise AnnotationError(
                f'{where}: landmarks must be 68 [x, y] pairs (iBUG order, in '
                f'the image\'s pixels), got shape {points.shape}')
        if not np.isfinite(points).all():
            raise AnnotationError(f'{where}: landmarks hold non-finite '
                                  'values')
        return points

    def _join(self, path: str) -> str:
        return join_data_root(Path(self.data_root or ''), path)

    def _check_video_ids(self, data_list: List[dict]) -> None:
        """A video id naming two labels or methods would merge videos in the
        video-level metric (FF++ ``000_003`` exists under four methods)."""
        seen = {}
        for info in data_list:
            key = (info['label'], info['method'])
            first = seen.setdefault(info['video_id'], key)
            if first != key:
                raise AnnotationError(
                    f'{self.ann_file}: video_id {info["video_id"]!r} is used '
                    f'for (label, method) {first} and {key}; video ids must '
                    'be unique across datasets and methods')

    # ------------------------------------------------------------- access
    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        infos = [self.get_data_info(i) for i in range(len(self))]
        self._labels = np.array([d['label'] for d in infos], dtype=np.int64)
        self._methods = np.array([d['method'] for d in infos], dtype=object)
        self._paired = np.array([bool(d.get('pair_path')) for d in infos],
                                dtype=bool)
        self._static = np.array(
            [np.nan if d.get('static_quality') is None else
             float(d['static_quality']) for d in infos], dtype=np.float64)

    def get_labels(self) -> np.ndarray:
        """0/1 label of every sample, for samplers and quality hooks."""
        self.full_init()
        return self._labels

    def get_methods(self) -> np.ndarray:
        self.full_init()
        return self._methods

    def get_paired(self) -> np.ndarray:
        """Whether each sample has a ``pair_path`` (FreDA needs one), so
        the curriculum never routes an unpaired fake to FreDA."""
        self.full_init()
        return self._paired

    def get_static_quality(self) -> np.ndarray:
        """Offline static quality per sample (NaN where absent)."""
        self.full_init()
        return self._static

    def __getitem__(self, idx: Union[int, Sequence]) -> dict:
        """``idx``: an int, ``(index, easy)`` or ``(index, easy, seed)``.

        With a seed (QualityCurriculumSampler gives one per sample and epoch)
        the pipeline's random augmentations draw from it alone: python,
        numpy and torch RNGs are seeded for this sample and restored after.
        So a sample is augmented the same way whichever worker loads it and
        whatever that worker loaded before, e.g. after a resume.
        """
        easy, seed = False, None
        if isinstance(idx, (tuple, list)):
            if len(idx) == 3:
                idx, easy, seed = idx
            else:
                idx, easy = idx
        self.full_init()
        data_info = self.get_data_info(int(idx))
        data_info[QC_EASY] = bool(easy)
        if seed is None:
            data = self.pipeline(data_info)
        else:
            # workers' own streams need no restoring (nothing else reads
            # them); the main process's (num_workers=0) do
            in_main_process = get_worker_info() is None
            with seeded_rng(int(seed), restore=in_main_process):
                data = self.pipeline(data_info)
        if data is None:
            raise RuntimeError(
                f'The pipeline returned None for {data_info["img_path"]}')
        return data
