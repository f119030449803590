# The selection reading of learning pacing: the epoch's fake slots are shared
# in proportion to a weight growing with FQS, so FQS decides which fakes the
# detector sees, and how often (docs/method.md). One change from qc_demo.py.
_base_ = ['../qc_demo.py']
train_dataloader = dict(sampler=dict(mode='selection'))
