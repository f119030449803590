# Xception detector as in DeepfakeBench: inputs scaled to [-1, 1], RGB.
# For ImageNet initialisation set the backbone's init_cfg, e.g.
#   model['backbone']['init_cfg'] = dict(
#       type='Pretrained', checkpoint='pretrained/xception-b5690688.pth')
# (Cadene pretrainedmodels checkpoint; see docs/models.md).
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True),
    backbone=dict(type='Xception', init_cfg=None),
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
