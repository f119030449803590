"""Loading a frame (face crop) from disk or any MMEngine file backend."""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from qcdet.registry import TRANSFORMS

__all__ = ['read_image', 'LoadFrame']


def read_image(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image as an H x W x 3 uint8 BGR array.

    Shared by :class:`LoadFrame` and FreqAugment (for the paired real), so a
    missing or corrupt file fails the same way everywhere: with its path.
    """
    try:
        img_bytes = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'Image file not found: {path}') from err
    if not img_bytes:
        raise ValueError(f'Image file is empty: {path}')
    img = cv2.imdecode(np.frombuffer(img_bytes, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'Cannot decode image (corrupt or unsupported '
                         f'format): {path}')
    return img


@TRANSFORMS.register_module()
class LoadFrame(BaseTransform):
    """Load ``results['img_path']`` into ``results['img']`` (BGR).

    Sets ``img``, ``img_shape`` and ``ori_shape`` (both ``(H, W)``).

    Args:
        to_float32 (bool): Convert the image to float32 (for pipelines that
            need it); uint8 otherwise. Defaults to False.
        backend_args (dict, optional): MMEngine file backend arguments, e.g.
            for reading from object storage. Defaults to None (local disk).
    """

    def __init__(self,
                 to_float32: bool = False,
                 backend_args: Optional[dict] = None):
        self.to_float32 = to_float32
        self.backend_args = backend_args.copy() if backend_args else None

    def transform(self, results: dict) -> dict:
        if 'img_path' not in results:
            raise KeyError('LoadFrame needs "img_path" in the results dict; '
                           f'got keys {sorted(results)}')
        img = read_image(results['img_path'], self.backend_args)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(to_float32={self.to_float32}, '
                f'backend_args={self.backend_args})')
