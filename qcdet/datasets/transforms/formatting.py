"""Packing a results dict into model inputs and a DataSample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.structures import DataSample

from qcdet.registry import TRANSFORMS

from ..samplers.curriculum_contract import FREDA_APPLIED, QC_EASY, SAMPLE_IDX

__all__ = ['PackDeepfakeInputs']


@TRANSFORMS.register_module()
class PackDeepfakeInputs(BaseTransform):
    """Pack ``img`` and ``label`` for :class:`DeepfakeDetector`.

    Gives ``dict(inputs=CHW tensor, data_samples=DataSample)``. The image
    keeps its dtype and channel order (BGR from :class:`LoadFrame`); the
    data preprocessor converts to RGB and normalises. The curriculum's keys
    (``SAMPLE_IDX``, ``QC_EASY``, ``FREDA_APPLIED``, see
    ``qcdet.datasets.samplers.curriculum_contract``) travel in the metainfo
    so per-sample training feedback can be matched back to the dataset.

    Args:
        meta_keys (Sequence[str]): Results keys copied into the data
            sample's metainfo; keys absent from a results dict are skipped.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = (SAMPLE_IDX, 'img_path',
                                             'video_id', 'dataset', 'method',
                                             'frame_idx', QC_EASY,
                                             FREDA_APPLIED)):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        for key in ('img', 'label'):
            if key not in results:
                raise KeyError(f'PackDeepfakeInputs needs "{key}" in the '
                               f'results dict ({results.get("img_path")}); '
                               f'got keys {sorted(results)}')
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        chw = np.ascontiguousarray(img.transpose(2, 0, 1))
        inputs = torch.from_numpy(chw)
        metainfo = {k: results[k] for k in self.meta_keys if k in results}
        data_sample = DataSample(metainfo=metainfo)
        data_sample.set_gt_label(self._check_label(results))
        return dict(inputs=inputs, data_samples=data_sample)

    @staticmethod
    def _check_label(results: dict) -> int:
        """The label as a Python int, 0 (real) or 1 (fake)."""
        label = results['label']
        if not isinstance(label, (int, np.integer)) or label not in (0, 1):
            raise ValueError('label must be 0 (real) or 1 (fake), got '
                             f'{label!r} ({results.get("img_path")})')
        return int(label)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
