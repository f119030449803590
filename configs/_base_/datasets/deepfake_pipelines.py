# Frame pipelines shared by the dataset configs (DeepfakeBench-style
# augmentations on aligned face crops). Override `train_pipeline` /
# `test_pipeline` in a leaf config to change the input size.
img_size = 256
train_pipeline = [
    dict(type='LoadFrame'),
    dict(type='mmcv.Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomColorJitter', brightness=0.1, contrast=0.1,
         saturation=0.1, hue=0.0, prob=0.5),
    dict(type='RandomGaussianBlur', sigma_range=(0.1, 2.0), prob=0.1),
    dict(type='RandomJPEGCompression', quality_range=(40, 100), prob=0.5),
    dict(type='PackDeepfakeInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    dict(type='mmcv.Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackDeepfakeInputs'),
]
