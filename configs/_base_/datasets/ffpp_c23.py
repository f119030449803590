# FaceForensics++ c23 (all four methods + originals), official 720/140/140
# video split. Annotation files in qcdet's format (docs/contracts.md) under
# data_root/annotations/; change `data_root` only. A DeepfakeBench JSON index
# also works: ann_file=<index.json>, split='train', compression='c23'.
# Made by: python tools/data/preprocess.py --dataset ffpp --root <FF++ root>
#   --out data/ffpp_c23 (docs/data.md); or tools/data/import_deepfakebench.py.
# Loaders for a GPU machine: 8 workers kept alive across epochs, batches in
# pinned (page-locked) memory for faster host-to-GPU copies (a no-op with a
# warning on CPU).
_base_ = ['./deepfake_pipelines.py']
dataset_type = 'DeepfakeDataset'
data_root = 'data/ffpp_c23'

# What the three loaders share (a name starting with `__` stays out of the
# config: MMEngine drops such names).
__loader = dict(
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # one stacked tensor per batch leaves each worker, not one per image
    collate_fn=dict(type='default_collate'))
train_dataloader = dict(
    __loader,
    batch_size=32,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/train.json',
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    __loader,
    batch_size=64,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations/val.json', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='annotations/test.json'))
val_evaluator = dict(type='DeepfakeMetric')
test_evaluator = val_evaluator
