# Self-blended images (SBI, Shiohara & Yamasaki, CVPR 2022) on FF++ c23:
# EfficientNet-B4 trained on the FF++ reals and their self-blends only,
# validated and tested on the real/fake splits as every FF++ config.
# Needs the reals' 68 landmarks: python tools/data/preprocess.py --dataset
# ffpp ... --landmarks (docs/data.md); records without them get no blend.
#
# Kept from SBI's protocol: EfficientNet-B4, 380 px inputs, batch 32 (about
# 16 reals and 16 self-blends: one self-blend record per real, shuffled; not
# the original's exact pairs of each real and its own blend in one batch),
# SGD lr 1e-3 momentum 0.9, 100 epochs with the learning rate decayed
# linearly to 0 over the last quarter, SBI's post-blend JPEG (quality 40-100,
# p 0.5) and colour jitter (p 0.3).
# Changed: no SAM (MMEngine has none, and it doubles the cost of a step:
# plain SGD); timm's ImageNet EfficientNet-B4 weights instead of the
# advprop ones (_base_/imagenet_weights.py); FF++ crops as
# tools/data/preprocess.py cuts them (256 px by default, resized to 380;
# --size 380 stores them at full size) instead of SBI's own face crops;
# AMP. SBI trained on 8 frames a video: with preprocess.py's default 32,
# --cfg-options train_cfg.max_epochs=25 gives the original's number of steps.
# The generator's settings and its realism: docs/sbi.md.
_base_ = [
    '../_base_/models/efficientnet_b4.py', '../_base_/datasets/ffpp_c23.py',
    '../_base_/schedules/adam_10e_amp.py', '../_base_/gpu_runtime.py',
    '../_base_/datasets/self_blend.py'
]
img_size = 380
train_pipeline = _base_.sbi_pipeline_head + [
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomApply', prob=0.3, transforms=[
        dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3,
             saturation=0.3, backend='cv2')
    ]),
    dict(type='RandomHueShift', shift_range=(-0.02, 0.02), prob=0.3),
    dict(type='RandomJPEGCompression', quality_range=(40, 100), prob=0.5),
    dict(type='PackDeepfakeInputs'),
]
# the test pipeline of _base_/datasets/deepfake_pipelines.py at img_size
test_pipeline = [
    dict(t, scale=(img_size, img_size)) if t.type == 'Resize' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(
    dataset=dict(reals_only=True, self_blend=True, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(_delete_=True, type='SGD', lr=1e-3, momentum=0.9))
# SBI's LinearDecayLR: constant, then linear to 0 from epoch 75 to 100
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.0, begin=75,
         end=100, by_epoch=True)
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
