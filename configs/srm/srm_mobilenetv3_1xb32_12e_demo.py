# SRM two-stream detector with MobileNetV3-small streams on the synthetic
# demo data (64 px): baseline_demo.py with the SRM detector around it.
_base_ = ['../baseline_demo.py']
model = dict(type='SRMDetector', srm_backbone=None)
