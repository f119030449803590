# Ablation: no quality score in the draw -- the hard fakes are drawn
# uniformly (temperature=None); pacing and the FreDA amount are unchanged.
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(temperature=None))
