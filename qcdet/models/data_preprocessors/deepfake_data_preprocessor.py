"""Batch preparation for deepfake detectors: move to device, BGR->RGB,
normalise, stack."""
import torch
from mmengine.model import ImgDataPreprocessor

from qcdet.registry import MODELS

__all__ = ['DeepfakeDataPreprocessor']


@MODELS.register_module()
class DeepfakeDataPreprocessor(ImgDataPreprocessor):
    """mmengine's ``ImgDataPreprocessor`` that refuses batches of unequal
    image sizes instead of zero-padding them.

    Padding suits detection but would silently feed a classifier black
    borders; frames must be resized to one size in the pipeline.
    ``data_samples`` (mmpretrain ``DataSample``) pass through unchanged and
    stay on the CPU: the detectors build their label tensors on the logits'
    device themselves, and moving 32 ``DataSample`` objects (MMEngine's
    ``cast_data`` rebuilds each one) cost ~4 ms per training step.

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
        out = super().forward(dict(inputs=inputs), training)
        if self.channels_last and out['inputs'].dim() == 4:
            out['inputs'] = out['inputs'].contiguous(
                memory_format=torch.channels_last)
        out['data_samples'] = data.get('data_samples')
        return out
