# A small MobileNetV3 on the embedded synthetic demo data (64 px); trains on
# a 2-core CPU in a few minutes. Data: python tools/data/make_demo_data.py
_base_ = [
    '../_base_/models/mobilenetv3_small.py', '../_base_/datasets/demo.py',
    '../_base_/schedules/adam_10e.py', '../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=1e-5))
train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=20))
