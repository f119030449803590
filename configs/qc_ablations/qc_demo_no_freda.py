# Ablation: the curriculum is drawn and logged, but easy fakes skip FreDA.
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(use_freda=False))
