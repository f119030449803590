_base_ = ['./mobilenetv3/mobilenetv3_1xb32_12e_demo.py']
