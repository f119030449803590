# Ablation: no learning pacing -- the same selection strength every epoch (beta
# = 0, the middle of qc_mobilenetv3_1xb32_12e_demo.py's -1 -> +1, so the FreDA
# amount over the schedule matches); FQS still decides which fakes go through
# FreDA.
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
train_dataloader = dict(sampler=dict(beta_start=0.0, beta_end=0.0))
