_base_ = ['./xception/qc_xception_1xb32_10e_ffpp.py']
