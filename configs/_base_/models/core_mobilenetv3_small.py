# CORE on the small MobileNetV3 (tests, demo).
_base_ = ['./mobilenetv3_small.py']
model = dict(
    type='COREDetector',
    consistency_weight=1.0,
    view_aug=dict(flip_prob=0.5, crop_scale=(0.8, 1.0), brightness=0.2,
                  contrast=0.2))
