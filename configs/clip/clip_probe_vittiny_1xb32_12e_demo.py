# The linear probe's machinery on the synthetic demo data (64 px) with a small
# CLIP-layout ViT (_base_/models/clip_vit_tiny.py): random init, no download,
# so the frozen features are random ones; it shows the detector, its tools and
# the QC hook working, not UnivFD's accuracy. Schedule of
# mobilenetv3_1xb32_12e_demo.py (Adam lr 1e-3, 12 epochs); a few minutes on a
# CPU.
_base_ = [
    '../_base_/models/clip_vit_tiny.py', '../_base_/datasets/demo.py',
    '../_base_/schedules/adam_10e.py', '../_base_/default_runtime.py'
]
model = dict(backbone=dict(trainable='none'))
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.0))
train_cfg = dict(max_epochs=12)
default_hooks = dict(logger=dict(interval=20))
