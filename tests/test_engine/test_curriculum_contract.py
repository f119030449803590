"""The curriculum contract end to end, with the real pieces (no stand-ins
but the runner): the sampler plans an epoch of easy and hard fakes, the
dataset loads its items with the curriculum's keys, FreqAugment mixes the
easy fakes, the detector's training forward reports feedback, and the hook
turns it into the scores that plan the next epoch (docs/contracts.md,
"Curriculum contract")."""
import json
import logging
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub

from qcdet.datasets import DeepfakeDataset
from qcdet.datasets.samplers import QualityCurriculumSampler
from qcdet.datasets.samplers.curriculum_contract import (
    FREDA_APPLIED,
    QC_EASY,
    SAMPLE_IDX,
    TrainFeedback,
)
from qcdet.engine.hooks import QualityScoreHook
from qcdet.models.detectors import DeepfakeDetector
from qcdet.offline.synthetic_data import generate_demo_dataset

BATCH = 8
PIPELINE = [
    dict(type='LoadFrame'),
    dict(type='FreqAugment', radius_ratio=0.1),
    dict(type='PackDeepfakeInputs'),
]


def test_one_epoch_walks_sampler_dataset_detector_hook(tmp_path):
    generate_demo_dataset(str(tmp_path), seed=3, num_identities=6,
                          videos_per_identity=1, frames_per_video=2,
                          size=64)
    dataset = DeepfakeDataset('annotations/train.json',
                              data_root=str(tmp_path), pipeline=PIPELINE)
    sampler = QualityCurriculumSampler(dataset, seed=0, rank=0,
                                       world_size=1)
    torch.manual_seed(0)
    model = DeepfakeDetector(
        backbone=dict(type='TimmBackbone',
                      model_name='mobilenetv3_small_050'),
        head=dict(type='BinaryClsHead', in_channels=288),
        data_preprocessor=dict(type='DeepfakeDataPreprocessor',
                               bgr_to_rgb=True))
    runner = SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=dataset, sampler=sampler),
        model=model, logger=logging.getLogger('curriculum_contract'),
        message_hub=MessageHub.get_instance('curriculum_contract'),
        work_dir=str(tmp_path / 'work'), epoch=0, iter=0, max_epochs=3)
    hook = QualityScoreHook()
    hook.before_run(runner)
    hook.before_train_epoch(runner)

    # the sampler: (index, easy, seed), with easy and hard fakes
    items = list(sampler)
    labels = dataset.get_labels()
    easy = np.zeros(len(labels), dtype=bool)
    raw = np.zeros(len(labels), dtype=bool)
    for index, is_easy, _ in items:
        (easy if is_easy else raw)[index] |= bool(labels[index])
    assert easy.any() and raw.any()
    assert not (easy & raw).any()  # 'paced': a fake is easy or hard

    model.train()
    for step, start in enumerate(range(0, len(items), BATCH)):
        chunk = items[start:start + BATCH]
        batch = [dataset[item] for item in chunk]
        # the dataset and FreqAugment: the keys in every packed sample
        for (index, is_easy, _), packed in zip(chunk, batch):
            meta = packed['data_samples'].metainfo
            assert meta[SAMPLE_IDX] == index
            assert meta[QC_EASY] is is_easy
            assert meta[FREDA_APPLIED] is is_easy  # every easy fake paired
        # the detector: a training forward leaves its TrainFeedback
        data = model.data_preprocessor(pseudo_collate(batch), training=True)
        model(**data, mode='loss')
        feedback = model.train_feedback
        assert set(feedback) == (TrainFeedback.__required_keys__
                                 | TrainFeedback.__optional_keys__)
        assert feedback['sample_idx'].tolist() == [i for i, _, _ in chunk]
        assert feedback['freda'].tolist() == [e for _, e, _ in chunk]
        assert feedback['label'].tolist() == [labels[i] for i, _, _ in chunk]
        # the hook: takes the feedback, once
        runner.iter = step
        hook.after_train_iter(runner, step, data_batch=data)
        assert model.train_feedback is None
    hook.after_train_epoch(runner)

    # a fake trained raw has a dynamic score; one seen through FreDA only
    # has none (its FreDA'd image is not the fake whose quality d measures)
    dynamic = hook.store.dynamic
    assert np.isfinite(dynamic[raw]).all()
    assert np.isnan(dynamic[easy]).all()
    epoch = json.loads(
        (tmp_path / 'work' / 'quality' / 'epoch_1.json').read_text())
    fake_items = [e for i, e, _ in items if labels[i] == 1]
    assert epoch['visits'] == len(fake_items)
    assert epoch['freda_visits'] == sum(fake_items)
    assert epoch['num_fakes_with_feedback'] == int(raw.sum())

    # the next epoch is planned from the FQS the hook computed
    runner.epoch = 1
    sampler.set_epoch(1)
    hook.before_train_epoch(runner)
    np.testing.assert_array_equal(sampler.scores, hook.store.fqs)
    assert np.isfinite(sampler.scores[labels == 1]).all()
