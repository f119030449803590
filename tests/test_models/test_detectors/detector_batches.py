"""Helpers for the detector tests (not a test): a packed batch of random
frames, building a config's detector, and the predict/tensor agreement."""
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from qcdet.registry import MODELS

REPO = Path(__file__).resolve().parents[3]


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


def build_detector(config, init_weights=False, **overrides):
    """The model of ``config`` (a path relative to the repo), built with
    torch seed 0 and the given model overrides."""
    init_default_scope('qcdet')
    cfg = Config.fromfile(str(REPO / config)).model
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    if init_weights:
        model.init_weights()
    return model


def assert_predict_matches_logits(detector, data):
    """``predict`` mode's scores are the softmax of ``tensor`` mode's
    logits, in eval mode."""
    detector.eval()
    with torch.no_grad():
        samples = detector(**data, mode='predict')
        logits = detector(data['inputs'])
    scores = torch.stack([s.pred_score for s in samples])
    torch.testing.assert_close(scores, logits.softmax(dim=1))
