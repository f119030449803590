# SPSL (RGB + phase) with a 4-channel MobileNetV3-small on the synthetic demo
# data (64 px): mobilenetv3_1xb32_12e_demo.py with the SPSL detector around it.
_base_ = ['../mobilenetv3/mobilenetv3_1xb32_12e_demo.py']
model = dict(type='SPSLDetector', backbone=dict(in_channels=4))
