# The earlier 'routing' reading: every fake once per epoch; the hard share
# grows 0.3 -> 0.7 (capped at 0.7 from epoch 6 of 12 with the defaults, before
# end_epoch, 8), hard fakes drawn with softmax(z / T), the rest in FreDA
# (docs/method.md). One change from qc_mobilenetv3_1xb32_12e_demo.py.
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
train_dataloader = dict(sampler=dict(mode='routing', start_fraction=0.3,
                                     end_fraction=0.7, temperature=0.5))
