# effort_vittiny_1xb32_12e_demo.py, quality-centric (_base_/qc.py).
_base_ = ['./effort_vittiny_1xb32_12e_demo.py', '../_base_/qc.py']
train_dataloader = {{_base_.qc_train_dataloader}}
