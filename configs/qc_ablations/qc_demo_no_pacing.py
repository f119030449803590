# Ablation: no learning pacing -- the same hard share every epoch, set so the
# FreDA amount matches qc_demo.py's over its schedule (mean easy share 0.44
# over 4 epochs: 0.70, 0.47, 0.30, 0.30); FQS still picks the hard fakes.
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(pacing='constant', start_fraction=0.56))
