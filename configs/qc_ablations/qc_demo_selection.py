# The selection reading of learning pacing: the epoch's fake slots are drawn
# with replacement, a higher FQS more likely, so FQS decides which fakes the
# detector sees (docs/method.md). One change from qc_demo.py.
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(mode='selection'))
