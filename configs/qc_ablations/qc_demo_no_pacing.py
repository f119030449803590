# Ablation: no learning pacing -- half of the fakes, drawn uniformly at random
# every epoch, go through FreDA, whatever their quality.
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(pacing='constant', start_fraction=0.5, temperature=None))  # noqa: E501
