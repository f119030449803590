# SRM detector (Luo et al., CVPR 2021): an RGB Xception and an Xception on
# the SRM noise residuals, fused at the last feature map. Inputs in [-1, 1],
# RGB, as DeepfakeBench. Both streams start from ImageNet weights
# (_base_/imagenet_weights.py; srm_backbone=None copies the backbone config).
_base_ = ['../imagenet_weights.py']
model = dict(
    type='SRMDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True,
        # GPU settings (the FF++ configs): batches and weights in
        # channels_last, host-to-device copies overlapping compute
        channels_last=True,
        non_blocking=True),
    backbone=dict(type='Xception', init_cfg={{_base_.xception_imagenet}}),
    srm_backbone=None,        # None: a copy of `backbone`
    srm_truncation=3.0,       # residuals clipped to [-3, 3]
    fusion_ratio=16,          # channel-attention reduction of the fusion
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
