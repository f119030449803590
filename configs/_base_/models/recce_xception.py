# RECCE (Cao et al., CVPR 2022) on Xception: the decoder reconstructs reals
# from the end of the middle flow (block11, 728 channels, stride 16); the
# reconstruction error re-weights the final 2048-channel map.
_base_ = ['./xception.py']
model = dict(
    type='RECCEDetector',
    backbone=dict(out_indices=(3, 4)),
    decoder=dict(type='ReconstructionDecoder', in_channels=728,
                 channels=(256, 128, 64, 32)),
    decoder_in_index=0,
    reconstruction_weight=0.1,
    metric_weight=0.1)
