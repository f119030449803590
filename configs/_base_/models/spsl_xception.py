# SPSL (Liu et al., CVPR 2021): RGB + phase-only image, a 4-channel Xception.
# Inputs in [-1, 1], RGB, as DeepfakeBench (xception.py). From ImageNet
# weights (_base_/imagenet_weights.py): the RGB conv1 kernel is averaged and
# copied to the 4 input channels, as DeepfakeBench.
_base_ = ['./xception.py']
model = dict(type='SPSLDetector', backbone=dict(in_channels=4))
