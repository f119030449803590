# The flagship: efficientnet_b4_1xb32_10e_ffpp.py, quality-centric.
_base_ = ['./efficientnet_b4_1xb32_10e_ffpp.py', '../_base_/qc.py']
train_dataloader = {{_base_.qc_train_dataloader}}
