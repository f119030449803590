# EfficientNet-B4 detector through timm, ImageNet normalisation, RGB,
# starting from timm's ImageNet weights (_base_/imagenet_weights.py).
_base_ = ['../imagenet_weights.py', './data_preprocessor.py']
model = dict(
    type='DeepfakeDetector',
    backbone=dict(
        type='TimmBackbone',
        model_name='efficientnet_b4',
        drop_path_rate=0.2,
        init_cfg={{_base_.efficientnet_b4_imagenet}}),
    head=dict(type='BinaryClsHead', in_channels=1792, dropout=0.0))
