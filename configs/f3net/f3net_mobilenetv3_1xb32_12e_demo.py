# F3Net's FAD branch with a 12-channel MobileNetV3-small on the synthetic demo
# data: mobilenetv3_1xb32_12e_demo.py with the F3Net detector around it.
# img_size = the demo's 64 px crops.
_base_ = ['../mobilenetv3/mobilenetv3_1xb32_12e_demo.py']
model = dict(type='F3NetDetector', img_size=64, backbone=dict(in_channels=12))
