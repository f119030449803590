# Quality-centric training of the demo detector: baseline_demo + the QC block.
# Static quality: tools/run_demo.sh scores the train split with --backend ssim
# into annotations/train_static.json first.
_base_ = ['./baseline_demo.py', './_base_/qc.py']
train_dataloader = dict(
    sampler={{_base_.qc_sampler}},
    # the train annotations with `static_quality`
    # (tools/quality/score_static.py)
    dataset=dict(ann_file='annotations/train_static.json'))
