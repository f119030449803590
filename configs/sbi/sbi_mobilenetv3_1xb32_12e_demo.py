# Self-blended images (SBI, Shiohara & Yamasaki, CVPR 2022) on the synthetic
# demo data (64 px): the MobileNetV3-small detector of
# mobilenetv3_1xb32_12e_demo.py trained on the demo's reals and their
# self-blends only (no fake of the data set is seen), validated and tested on
# the usual real/fake splits. Data: python tools/data/make_demo_data.py (writes
# the 68 landmarks SBI needs). What is kept of SBI's protocol and what changes:
# docs/sbi.md.
_base_ = [
    '../mobilenetv3/mobilenetv3_1xb32_12e_demo.py',
    '../_base_/datasets/self_blend.py'
]
img_size = 64
train_pipeline = _base_.sbi_pipeline_head + [
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackDeepfakeInputs'),
]
train_dataloader = dict(
    dataset=dict(
        # the reals only, and one self-blend record per real: a 1:1 epoch
        reals_only=True,
        self_blend=True,
        pipeline=train_pipeline))
