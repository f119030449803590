# Linear probe on frozen CLIP ViT-B/16 features (UnivFD, Ojha et al., CVPR
# 2023) on FF++ c23: the backbone never trains (and stays in eval mode), only
# the linear real/fake head does. UnivFD's optimiser: Adam lr 1e-4, no weight
# decay (its batch of 256 is DeepfakeBench's 32 here). 224 px input, CLIP's
# normalisation; 10 epochs, AMP. docs/zoo.md
_base_ = [
    '../_base_/models/clip_vit_b16.py', '../_base_/datasets/ffpp_c23.py',
    '../_base_/schedules/adam_10e_amp.py', '../_base_/gpu_runtime.py'
]
model = dict(backbone=dict(trainable='none'))
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.0))

# _base_/datasets/deepfake_pipelines.py at 224 px: the CLIP ViTs' position
# embedding is for a 14x14 (B/16) or 16x16 (L/14) grid of patches at 224.
# tools/infer.py, get_flops.py and vis_cam.py take the size from the test
# pipeline's Resize.
img_size = 224
train_pipeline = [
    dict(type='LoadFrame'),
    # FreDA before the Resize, at the size loaded (docs/method.md, FreDA)
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
