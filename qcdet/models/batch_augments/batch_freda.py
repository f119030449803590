"""FreDA on a whole batch on the model's device: the mix that
``FreqAugment(mix_in='preprocessor')`` left undone in the DataLoader
workers."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from qcdet.registry import BATCH_AUGMENTS
from qcdet.utils.freda import (
    STACKED_PAIR_KEY,
    MaskCache,
    freda,
    mask_args,
    to_pixel_range,
)

__all__ = ['BatchFreDA']


@BATCH_AUGMENTS.register_module()
class BatchFreDA:
    """Mixes the FreDA pairs stacked behind the images: ``(N, 2C, H, W)``
    fakes with their pairs in, ``(N, C, H, W)`` out.

    Each fake whose ``freda_deferred`` is set gets its pair's low
    frequencies in one batched FFT, rounded and clipped as ``FreqAugment``
    does in the pipeline; the others keep their own channels. It sees pixel
    values, before the data preprocessor normalises. A ``band`` converts to
    the Nyquist ratio at the batch's size (after the geometric transforms),
    so a resize keeps the cycles per face it mixes.

    Use it with ``FreqAugment(mix_in='preprocessor')`` in the pipeline and
    ``data_preprocessor=dict(batch_augments=[dict(type='BatchFreDA')])``.
    """

    def __init__(self) -> None:
        self._masks = MaskCache()

    def __call__(self, inputs: torch.Tensor, data_samples: Sequence
                 ) -> Tuple[torch.Tensor, Sequence]:
        deferred = self._deferred(data_samples)
        if deferred is None:
            raise ValueError(
                'BatchFreDA got a batch without stacked FreDA pairs: put '
                'FreqAugment(mix_in=\'preprocessor\') in the train pipeline, '
                'or remove BatchFreDA from data_preprocessor.batch_augments')
        if inputs.dim() != 4 or inputs.shape[1] % 2:
            raise ValueError(
                'FreqAugment(mix_in=\'preprocessor\') stacks each pair behind '
                'its image, so inputs need an even number of channels; got '
                f'shape {tuple(inputs.shape)}')
        for sample in data_samples:
            delattr(sample, STACKED_PAIR_KEY)
        return self.mix(inputs, deferred), data_samples

    @staticmethod
    def _deferred(data_samples) -> Optional[List[Optional[dict]]]:
        """Each sample's ``freda_deferred``, or None when no sample has
        one."""
        if not data_samples:
            return None
        # ``key in sample``: set lookups; ``sample.metainfo`` would build a
        # dict per sample on every step
        flags = [STACKED_PAIR_KEY in s for s in data_samples]
        if not any(flags):
            return None
        if not all(flags):
            raise ValueError(
                f'{flags.count(False)} of {len(flags)} samples lack '
                f'{STACKED_PAIR_KEY} while the others carry a stacked FreDA '
                'pair; every sample of a batch must come from the same '
                'pipeline')
        return [s.get(STACKED_PAIR_KEY) for s in data_samples]

    def mix(self, inputs: torch.Tensor,
            deferred: List[Optional[dict]]) -> torch.Tensor:
        """``(N, 2C, H, W)`` → ``(N, C, H, W)`` on ``inputs``' device, FreDA
        applied where ``deferred`` says."""
        device = inputs.device
        channels = inputs.shape[1] // 2
        images = inputs[:, :channels].contiguous()
        todo = [i for i, d in enumerate(deferred) if d]
        if not todo:
            return images
        height, width = images.shape[-2:]
        masks = [
            self._masks.get(height, width, device=device,
                            **mask_args(deferred[i], height, width))
            for i in todo
        ]
        ncols = max(m.shape[-1] for m in masks)
        masks = torch.stack(
            [F.pad(m, (0, ncols - m.shape[-1])) for m in masks])[:, None]
        index = torch.tensor(todo, device=device)
        pairs = inputs.index_select(0, index).to(torch.float32)
        fakes, reals = pairs[:, :channels], pairs[:, channels:]
        mixed = freda(fakes, reals, masks)
        mixed = to_pixel_range(mixed, integer=images.dtype == torch.uint8)
        images.index_copy_(0, index, mixed.to(images.dtype))
        return images
