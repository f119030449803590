# sbi_efficientnet_b4_1xb32_100e_ffpp.py, quality-centric (_base_/qc.py).
_base_ = ['./sbi_efficientnet_b4_1xb32_100e_ffpp.py', '../_base_/qc.py']
train_dataloader = {{_base_.qc_train_dataloader}}
