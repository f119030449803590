# Ablation: the routing reading of learning pacing -- every fake is visited
# once per epoch and FQS only decides which fakes go through FreDA (the
# shipped default before the selection reading; docs/method.md).
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(mode='routing'))
