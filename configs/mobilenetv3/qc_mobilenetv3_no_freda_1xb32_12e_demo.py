# Ablation: the curriculum is drawn and logged, but easy fakes skip FreDA.
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
train_dataloader = dict(sampler=dict(use_freda=False))
