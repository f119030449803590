# effort_vitb16_1xb32_10e_ffpp.py trained the quality-centric way.
_base_ = ['./effort_vitb16_1xb32_10e_ffpp.py', '../_base_/qc.py']
train_dataloader = dict(
    sampler={{_base_.qc_sampler}},
    # the train annotations with `static_quality`
    # (tools/quality/score_static.py)
    dataset=dict(ann_file='annotations/train_static.json'))
