# EfficientNet-B4 detector through timm, ImageNet normalisation, RGB,
# starting from timm's ImageNet weights (_base_/imagenet_weights.py).
_base_ = ['../imagenet_weights.py']
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        # GPU settings (the FF++ configs): batches and weights in
        # channels_last, host-to-device copies overlapping compute
        channels_last=True,
        non_blocking=True),
    backbone=dict(
        type='TimmBackbone',
        model_name='efficientnet_b4',
        drop_path_rate=0.2,
        init_cfg={{_base_.efficientnet_b4_imagenet}}),
    head=dict(type='BinaryClsHead', in_channels=1792, dropout=0.0))
