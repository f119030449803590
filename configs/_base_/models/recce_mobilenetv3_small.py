# RECCE on the small MobileNetV3 (tests, demo): the decoder reads the last
# (288-channel, stride 32) map.
_base_ = ['./mobilenetv3_small.py']
model = dict(
    type='RECCEDetector',
    decoder=dict(type='ReconstructionDecoder', in_channels=288,
                 channels=(64, 32, 16)),
    decoder_in_index=0,
    reconstruction_weight=0.1,
    metric_weight=0.1)
