# UCF on two small MobileNetV3 encoders (tests, demo); specific classes are
# the synthetic demo's forgery families.
_base_ = ['./mobilenetv3_small.py']
model = dict(
    type='UCFDetector',
    encoder_channels=288,
    content_backbone=None,
    feature_channels=64,
    hidden_channels=128,
    content_channels=64,
    head=dict(in_channels=64),
    decoder=dict(type='AdaINDecoder', content_channels=64,
                 forgery_channels=128, channels=(64, 32, 16), dropout=0.3),
    methods=['real', 'blend_swap', 'warp_reenact', 'upsample',
             'texture_noise'],
    specific_weight=0.1,
    reconstruction_weight=0.3,
    contrastive_weight=0.05,
    contrastive_margin=3.0,
    shuffle_common_prob=0.7)
