# A cross-dataset TEST set: only test_dataloader is defined. The files
# celebdf_v2.py, dfdc.py, dfdcp.py and dfd.py set their data_root on it.
# Annotation file in qcdet's format (docs/contracts.md) at
# data_root/annotations/test.json.
_base_ = ['./deepfake_pipelines.py']
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # one stacked tensor per batch leaves each worker, not one per image
    collate_fn=dict(type='default_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DeepfakeDataset', ann_file='annotations/test.json',
                 test_mode=True, pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(type='DeepfakeMetric')
