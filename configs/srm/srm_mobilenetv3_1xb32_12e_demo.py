# SRM two-stream detector with MobileNetV3-small streams on the synthetic demo
# data (64 px): mobilenetv3_1xb32_12e_demo.py with the SRM detector around it.
_base_ = ['../mobilenetv3/mobilenetv3_1xb32_12e_demo.py']
model = dict(type='SRMDetector', srm_backbone=None)
