_base_ = ['./xception/xception_1xb32_10e_ffpp.py']
