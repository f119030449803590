"""A packed batch of random frames for the detector tests (not a test)."""
import torch
from mmpretrain.structures import DataSample


def make_batch(labels, size=64, seed=1, first_idx=0):
    """``inputs`` (uint8 CHW frames) and ``data_samples`` with ``gt_label``
    and ``sample_idx = first_idx + position``."""
    generator = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                            generator=generator) for _ in labels]
    samples = [
        DataSample(metainfo=dict(sample_idx=first_idx + i)).set_gt_label(y)
        for i, y in enumerate(labels)
    ]
    return dict(inputs=inputs, data_samples=samples)
