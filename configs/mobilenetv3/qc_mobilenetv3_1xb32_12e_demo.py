# The main demo job (tools/run_demo.sh): the demo detector, quality-centric.
_base_ = ['./mobilenetv3_1xb32_12e_demo.py', '../_base_/qc.py']
train_dataloader = {{_base_.qc_train_dataloader}}
