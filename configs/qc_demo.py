# Quality-centric training of the demo detector: baseline_demo + the QC block.
# Static quality: run tools/quality/score_static.py with --backend ssim on the
# demo annotations first (see README); without it FQS uses the dynamic score.
_base_ = ['./baseline_demo.py', './_base_/qc.py']
train_dataloader = dict(sampler={{_base_.qc_sampler}})
