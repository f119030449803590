"""Batch preparation for deepfake detectors: move to device, run the batch
augments (training), BGR->RGB, normalise, stack."""
from typing import Optional, Sequence

import torch
from mmengine.model import ImgDataPreprocessor

from qcdet.registry import BATCH_AUGMENTS, MODELS
from qcdet.utils.freda import STACKED_PAIR_KEY

__all__ = ['DeepfakeDataPreprocessor']


@MODELS.register_module()
class DeepfakeDataPreprocessor(ImgDataPreprocessor):
    """mmengine's ``ImgDataPreprocessor`` that refuses batches of unequal
    image sizes instead of zero-padding them, and runs batch augments on a
    training batch, as mmpretrain's ``ClsDataPreprocessor`` does.

    Padding suits detection but would silently feed a classifier black
    borders; frames must be resized to one size in the pipeline.
    ``data_samples`` (mmpretrain ``DataSample``) pass through unchanged and
    stay on the CPU: the detectors build their label tensors on the logits'
    device themselves, and moving 32 ``DataSample`` objects (MMEngine's
    ``cast_data`` rebuilds each one) cost ~4 ms per training step.

    Batch augments (``BATCH_AUGMENTS``, e.g. ``BatchFreDA``) are called as
    ``inputs, data_samples = augment(inputs, data_samples)`` on the stacked
    batch on the model's device, in pixel values (before the channel swap
    and normalisation), and only while training.

    Args:
        mean, std: per-channel statistics in the input's (0-255) scale,
            applied after the channel swap; ``None`` for no normalisation.
        bgr_to_rgb: swap channels (``LoadFrame`` gives BGR).
        channels_last: hand the batch on in ``torch.channels_last`` memory
            format; ``DeepfakeDetector.to()`` then puts the weights in it
            too, so that no convolution needs a layout conversion.
        batch_augments: batch augments, applied in order: config dicts,
            registered names (``'BatchFreDA'``, so that ``--cfg-options
            model.data_preprocessor.batch_augments=[BatchFreDA]`` works) or
            callables.
    """

    def __init__(self, mean=None, std=None, bgr_to_rgb: bool = False,
                 non_blocking: bool = False, channels_last: bool = False,
                 batch_augments: Optional[Sequence] = None):
        super().__init__(
            mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
            non_blocking=non_blocking)
        self.channels_last = channels_last
        self.batch_augments = [
            self._build_augment(a) for a in batch_augments or ()
        ]

    @staticmethod
    def _build_augment(augment):
        if isinstance(augment, str):
            augment = dict(type=augment)
        if isinstance(augment, dict):
            return BATCH_AUGMENTS.build(augment)
        if not callable(augment):
            raise TypeError('a batch augment must be a config dict, a '
                            'registered name or a callable, got '
                            f'{augment!r}')
        return augment

    def forward(self, data: dict, training: bool = False) -> dict:
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            shapes = {tuple(img.shape) for img in inputs}
            if len(shapes) > 1:
                raise ValueError(
                    'DeepfakeDataPreprocessor got images of different sizes '
                    f'in one batch: {sorted(shapes)}; resize frames to one '
                    'size in the data pipeline')
        elif not isinstance(inputs, torch.Tensor):
            raise TypeError('DeepfakeDataPreprocessor expects inputs as a '
                            'list of CHW tensors or an NCHW tensor, got '
                            f'{type(inputs).__name__}')
        data_samples = data.get('data_samples')
        if training and self.batch_augments:
            if isinstance(inputs, (list, tuple)):
                inputs = torch.stack(list(inputs))
            inputs = inputs.to(self._device, non_blocking=self._non_blocking)
            for augment in self.batch_augments:
                inputs, data_samples = augment(inputs, data_samples)
        if data_samples and STACKED_PAIR_KEY in data_samples[0]:
            raise ValueError(
                'The images carry FreDA pairs stacked behind them by '
                'FreqAugment(mix_in=\'preprocessor\'), but no batch augment '
                'mixed them: add dict(type=\'BatchFreDA\') to '
                'data_preprocessor.batch_augments (it runs while training '
                'only; keep such pipelines out of validation and testing)')
        out = super().forward(dict(inputs=inputs), training)
        if self.channels_last and out['inputs'].dim() == 4:
            out['inputs'] = out['inputs'].contiguous(
                memory_format=torch.channels_last)
        out['data_samples'] = data_samples
        return out
