# xception_1xb32_10e_ffpp.py trained the quality-centric way (_base_/qc.py).
_base_ = ['./xception_1xb32_10e_ffpp.py', '../_base_/qc.py']
train_dataloader = {{_base_.qc_train_dataloader}}
