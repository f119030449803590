# The earlier 'selection' reading: hard fakes drawn and slots shared by a fixed
# weight softmax(z / T) growing with FQS from epoch 0; the hard share grows 0.3
# -> 0.7 (docs/method.md). One change from qc_mobilenetv3_1xb32_12e_demo.py.
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
train_dataloader = dict(sampler=dict(mode='selection', start_fraction=0.3,
                                     end_fraction=0.7, temperature=0.5))
