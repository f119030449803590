# clip_lntune_vitb16_1xb32_10e_ffpp.py, quality-centric (_base_/qc.py).
_base_ = ['./clip_lntune_vitb16_1xb32_10e_ffpp.py', '../_base_/qc.py']
train_dataloader = {{_base_.qc_train_dataloader}}
