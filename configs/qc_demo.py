_base_ = ['./mobilenetv3/qc_mobilenetv3_1xb32_12e_demo.py']
