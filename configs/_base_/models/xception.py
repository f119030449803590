# Xception detector as in DeepfakeBench: inputs scaled to [-1, 1], RGB,
# starting from Cadene's ImageNet weights (_base_/imagenet_weights.py).
# The base of the zoo's Xception detectors (SRM, SPSL, F3Net, CORE, RECCE,
# UCF), which change the detector type and what they add.
_base_ = ['../imagenet_weights.py', './data_preprocessor.py']
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(mean=[127.5, 127.5, 127.5],
                           std=[127.5, 127.5, 127.5]),
    backbone=dict(type='Xception', init_cfg={{_base_.xception_imagenet}}),
    head=dict(type='BinaryClsHead', in_channels=2048, dropout=0.0))
