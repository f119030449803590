# SRM detector (Luo et al., CVPR 2021): an RGB Xception and an Xception on
# the SRM noise residuals, fused at the last feature map. Inputs in [-1, 1],
# RGB, as DeepfakeBench (xception.py). Both streams start from ImageNet
# weights (_base_/imagenet_weights.py; srm_backbone=None copies the backbone
# config).
_base_ = ['./xception.py']
model = dict(
    type='SRMDetector',
    srm_backbone=None,        # None: a copy of `backbone`
    srm_truncation=3.0,       # residuals clipped to [-3, 3]
    fusion_ratio=16)          # channel-attention reduction of the fusion
