# DeepFakeDetection (Google/Jigsaw) videos. A cross-dataset TEST set: only test_dataloader is defined.
# Annotation file in qcdet's format (docs/contracts.md) under
# data_root/annotations/; change `data_root` only.
_base_ = ['./deepfake_pipelines.py']
data_root = 'data/dfd'
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DeepfakeDataset', data_root=data_root,
                 ann_file='annotations/test.json', test_mode=True,
                 pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(type='DeepfakeMetric')
