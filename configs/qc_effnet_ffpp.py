_base_ = ['./efficientnet/qc_efficientnet_b4_1xb32_10e_ffpp.py']
