# SRM detector (Luo et al., CVPR 2021): an RGB Xception and an Xception on
# the SRM noise residuals, fused at the last feature map. Inputs in [-1, 1],
# RGB, as DeepfakeBench. For ImageNet initialisation set the backbone's
# init_cfg (srm_backbone=None copies it to the residual stream), e.g.
#   model['backbone']['init_cfg'] = dict(
#       type='Pretrained', checkpoint='pretrained/xception-b5690688.pth')
model = dict(
    type='SRMDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True),
    backbone=dict(type='Xception', init_cfg=None),
    srm_backbone=None,        # None: a copy of `backbone`
    srm_truncation=3.0,       # residuals clipped to [-3, 3]
    fusion_ratio=16,          # channel-attention reduction of the fusion
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
