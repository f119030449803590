_base_ = ['./efficientnet/efficientnet_b4_1xb32_10e_ffpp.py']
