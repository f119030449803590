# SPSL (Liu et al., CVPR 2021): RGB + phase-only image, a 4-channel Xception.
# Inputs in [-1, 1], RGB, as DeepfakeBench. From ImageNet weights
# (_base_/imagenet_weights.py): the RGB conv1 kernel is averaged and copied
# to the 4 input channels, as DeepfakeBench.
_base_ = ['../imagenet_weights.py']
model = dict(
    type='SPSLDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True,
        # GPU settings (the FF++ configs): batches and weights in
        # channels_last, host-to-device copies overlapping compute
        channels_last=True,
        non_blocking=True),
    backbone=dict(type='Xception', in_channels=4,
                  init_cfg={{_base_.xception_imagenet}}),
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
