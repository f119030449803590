# EfficientNet-B4 detector through timm, ImageNet normalisation, RGB.
# For ImageNet initialisation point checkpoint_path at a local timm-format
# file (e.g. timm's efficientnet_b4 or tf_efficientnet_b4 weights; use
# model_name='tf_efficientnet_b4' for the latter). See docs/models.md.
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='TimmBackbone',
        model_name='efficientnet_b4',
        checkpoint_path=None,
        drop_path_rate=0.2),
    head=dict(type='BinaryClsHead', in_channels=1792, dropout=0.0))
