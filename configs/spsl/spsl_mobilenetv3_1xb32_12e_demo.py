# SPSL (RGB + phase) with a 4-channel MobileNetV3-small on the synthetic demo
# data (64 px): baseline_demo.py with the SPSL detector around it.
_base_ = ['../baseline_demo.py']
model = dict(type='SPSLDetector', backbone=dict(in_channels=4))
