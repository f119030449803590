# Xception detector as in DeepfakeBench: inputs scaled to [-1, 1], RGB,
# starting from Cadene's ImageNet weights (_base_/imagenet_weights.py).
_base_ = ['../imagenet_weights.py']
model = dict(
    type='DeepfakeDetector',
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
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
