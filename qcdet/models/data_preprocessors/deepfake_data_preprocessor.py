"""Batch preparation for deepfake detectors: move to device, finish FreDA
where the pipeline deferred it, BGR->RGB, normalise, stack."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import ImgDataPreprocessor

from qcdet.registry import MODELS
from qcdet.utils.freda import MaskCache, freda, to_pixel_range

__all__ = ['DeepfakeDataPreprocessor']


@MODELS.register_module()
class DeepfakeDataPreprocessor(ImgDataPreprocessor):
    """mmengine's ``ImgDataPreprocessor`` that refuses batches of unequal
    image sizes instead of zero-padding them, and mixes the FreDA pairs that
    ``FreqAugment(mix_in='preprocessor')`` stacked behind the images.

    Padding suits detection but would silently feed a classifier black
    borders; frames must be resized to one size in the pipeline.
    ``data_samples`` (mmpretrain ``DataSample``) pass through unchanged and
    stay on the CPU: the detectors build their label tensors on the logits'
    device themselves, and moving 32 ``DataSample`` objects (MMEngine's
    ``cast_data`` rebuilds each one) cost ~4 ms per training step.

    Deferred FreDA: when the data samples carry ``freda_deferred``, each
    image has ``2C`` channels, the fake's and its pair's. The fakes whose
    ``freda_deferred`` is set (``dict(radius, mask_shape)``) get the pair's
    low frequencies, in one batched FFT on the model's device, rounded and
    clipped as ``FreqAugment`` does in the pipeline; the pair channels are
    then dropped, so the model sees ``C`` channels as always.

    Args:
        mean, std: per-channel statistics in the input's (0-255) scale,
            applied after the channel swap; ``None`` for no normalisation.
        bgr_to_rgb: swap channels (``LoadFrame`` gives BGR).
        channels_last: hand the batch on in ``torch.channels_last`` memory
            format; ``DeepfakeDetector.to()`` then puts the weights in it
            too, so that no convolution needs a layout conversion.
    """

    def __init__(self, mean=None, std=None, bgr_to_rgb: bool = False,
                 non_blocking: bool = False, channels_last: bool = False):
        super().__init__(
            mean=mean, std=std, bgr_to_rgb=bgr_to_rgb,
            non_blocking=non_blocking)
        self.channels_last = channels_last
        self._freda_masks = MaskCache()

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
        deferred = self._deferred_freda(data_samples)
        if deferred is not None:
            inputs = self.mix_deferred_freda(inputs, deferred)
        out = super().forward(dict(inputs=inputs), training)
        if self.channels_last and out['inputs'].dim() == 4:
            out['inputs'] = out['inputs'].contiguous(
                memory_format=torch.channels_last)
        out['data_samples'] = data_samples
        return out

    @staticmethod
    def _deferred_freda(data_samples) -> Optional[List[Optional[dict]]]:
        """Each sample's ``freda_deferred``, or None for a batch without
        stacked pairs."""
        if not data_samples:
            return None
        # ``key in sample``: set lookups; ``sample.metainfo`` would build a
        # dict per sample on every step
        flags = ['freda_deferred' in s for s in data_samples]
        if not any(flags):
            return None
        if not all(flags):
            raise ValueError(
                f'{flags.count(False)} of {len(flags)} samples lack '
                'freda_deferred while the others carry a stacked FreDA pair; '
                'every sample of a batch must come from the same pipeline')
        return [s.freda_deferred for s in data_samples]

    def mix_deferred_freda(self, inputs, deferred: List[Optional[dict]]
                           ) -> torch.Tensor:
        """``(N, 2C, H, W)`` fakes with their pairs → ``(N, C, H, W)`` on
        this preprocessor's device, FreDA applied where ``deferred`` says."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 4 or inputs.shape[1] % 2:
            raise ValueError(
                'FreqAugment(mix_in=\'preprocessor\') stacks each pair behind '
                'its image, so inputs need an even number of channels; got '
                f'shape {tuple(inputs.shape)}')
        inputs = inputs.to(self._device, non_blocking=self._non_blocking)
        channels = inputs.shape[1] // 2
        images = inputs[:, :channels].contiguous()
        todo = [i for i, d in enumerate(deferred) if d]
        if not todo:
            return images
        height, width = images.shape[-2:]
        masks = [
            self._freda_masks.get(height, width, deferred[i]['radius'],
                                  deferred[i]['mask_shape'], self._device)
            for i in todo
        ]
        ncols = max(m.shape[-1] for m in masks)
        masks = torch.stack(
            [F.pad(m, (0, ncols - m.shape[-1])) for m in masks])[:, None]
        index = torch.tensor(todo, device=self._device)
        pairs = inputs.index_select(0, index).to(torch.float32)
        fakes, reals = pairs[:, :channels], pairs[:, channels:]
        mixed = freda(fakes, reals, masks)
        mixed = to_pixel_range(mixed, integer=images.dtype == torch.uint8)
        images.index_copy_(0, index, mixed.to(images.dtype))
        return images
