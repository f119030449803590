# F3Net (Qian et al., ECCV 2020), FAD branch: DCT bands (low, middle, high,
# all) x RGB = 12 channels into an Xception. img_size must equal the
# training resolution (the band filters are per DCT coefficient).
# Inputs in [-1, 1], RGB, as DeepfakeBench (xception.py). From ImageNet
# weights (_base_/imagenet_weights.py): the RGB conv1 kernel / 4 seeds each
# band, as DeepfakeBench.
_base_ = ['./xception.py']
model = dict(
    type='F3NetDetector',
    img_size=256,
    band_fractions=(1 / 16, 1 / 8),  # low: first 1/16, middle: up to 1/8
    backbone=dict(in_channels=12))
