# Ablation: no quality score -- the fakes rank at random every epoch, so the
# FreDA split and the selection ignore FQS; pacing and the FreDA amount are
# unchanged.
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
train_dataloader = dict(sampler=dict(use_scores=False))
