# CORE on the small MobileNetV3 and the synthetic demo data (64 px), as
# mobilenetv3_1xb32_12e_demo.py. Data: python tools/data/make_demo_data.py
_base_ = [
    '../_base_/models/core_mobilenetv3_small.py',
    '../_base_/datasets/demo.py', '../_base_/schedules/adam_10e.py',
    '../_base_/default_runtime.py'
]
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=1e-5))
train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=20))
