# The embedded synthetic demo data: `python tools/data/make_demo_data.py`
# writes it to data/demo (no download). 64 px crops, small and fast on CPU.
dataset_type = 'DeepfakeDataset'
data_root = 'data/demo'
img_size = 64
train_pipeline = [
    dict(type='LoadFrame'),
    # FreDA: acts only on fakes the QualityCurriculumSampler marks "easy".
    # radius_ratio=0.1 on these 64 px crops = band=3.2 cycles per face
    # (band = radius_ratio * size / 2; see docs/method.md, FreDA)
    dict(type='FreqAugment', mask_shape='circle', radius_ratio=0.1, prob=1.0),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackDeepfakeInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackDeepfakeInputs'),
]
# What the three loaders share (a name starting with `__` stays out of the
# config: MMEngine drops such names).
__loader = dict(
    num_workers=2,
    persistent_workers=True,
    # one stacked tensor per batch leaves each worker, not one per image
    collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    __loader,
    batch_size=32,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/train.json', pipeline=train_pipeline))
val_dataloader = dict(
    __loader,
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/val.json', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='annotations/test.json'))
val_evaluator = dict(type='DeepfakeMetric')
test_evaluator = val_evaluator
