# DeepfakeDetector with the out-of-package ExampleTinyNet backbone on the
# synthetic demo data. Run from the repository root with the root on the
# Python path:  PYTHONPATH=. python tools/train.py \
#     projects/example_backbone/configs/tinynet_1xb32_12e_demo.py
_base_ = [
    '../../../configs/_base_/datasets/demo.py',
    '../../../configs/_base_/schedules/adam_10e.py',
    '../../../configs/_base_/default_runtime.py'
]
# importing the module registers ExampleTinyNet in qcdet's MODELS
custom_imports = dict(imports=['projects.example_backbone.tiny_net'],
                      allow_failed_imports=False)
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='ExampleTinyNet', channels=(16, 32, 64, 128),
                  # ImageNet or earlier weights, from a local file:
                  # init_cfg=dict(type='Pretrained', checkpoint='tiny.pth')
                  init_cfg=None),
    head=dict(type='BinaryClsHead', in_channels=128))
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=1e-5))
train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=20))
