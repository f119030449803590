# F3Net (Qian et al., ECCV 2020), FAD branch: DCT bands (low, middle, high,
# all) x RGB = 12 channels into an Xception. img_size must equal the
# training resolution (the band filters are per DCT coefficient).
# Inputs in [-1, 1], RGB, as DeepfakeBench. From ImageNet weights
# (_base_/imagenet_weights.py): the RGB conv1 kernel / 4 seeds each band,
# as DeepfakeBench.
_base_ = ['../imagenet_weights.py']
model = dict(
    type='F3NetDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        bgr_to_rgb=True,
        # GPU settings (the FF++ configs): batches and weights in
        # channels_last, host-to-device copies overlapping compute
        channels_last=True,
        non_blocking=True),
    img_size=256,
    band_fractions=(1 / 16, 1 / 8),  # low: first 1/16, middle: up to 1/8
    backbone=dict(type='Xception', in_channels=12,
                  init_cfg={{_base_.xception_imagenet}}),
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
