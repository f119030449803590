# clip_lntune_vittiny_1xb32_12e_demo.py trained the quality-centric way.
_base_ = ['./clip_lntune_vittiny_1xb32_12e_demo.py', '../_base_/qc.py']
train_dataloader = dict(
    sampler={{_base_.qc_sampler}},
    # the train annotations with `static_quality`
    # (tools/quality/score_static.py)
    dataset=dict(ann_file='annotations/train_static.json'))
