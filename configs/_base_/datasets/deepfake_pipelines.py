# Frame pipelines shared by the dataset configs (DeepfakeBench-style
# augmentations on aligned face crops). Override `train_pipeline` /
# `test_pipeline` in a leaf config to change the input size.
img_size = 256
train_pipeline = [
    dict(type='LoadFrame'),
    # FreDA: acts only on fakes the QualityCurriculumSampler marks "easy".
    # radius_ratio=0.1 on 256 px crops = band=12.8 cycles per face
    # (band = radius_ratio * size / 2 at the size loaded: FreDA runs
    # before the Resize; see docs/method.md, FreDA)
    dict(type='FreqAugment', mask_shape='circle', radius_ratio=0.1, prob=1.0),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.ColorJitter', brightness=0.1, contrast=0.1,
         saturation=0.1, backend='cv2'),
    dict(type='RandomGaussianBlur', sigma_range=(0.1, 2.0), prob=0.1),
    dict(type='RandomJPEGCompression', quality_range=(40, 100), prob=0.5),
    dict(type='PackDeepfakeInputs'),
]
test_pipeline = [
    dict(type='LoadFrame'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackDeepfakeInputs'),
]
