# UCF (Yan et al., ICCV 2023) on two Xception encoders (forgery, content).
# Specific classes: FF++'s methods; head.in_channels = feature_channels,
# decoder forgery_channels = 2 * feature_channels.
_base_ = ['./xception.py']
model = dict(
    type='UCFDetector',
    encoder_channels=2048,
    content_backbone=None,  # None: a copy of the backbone config
    feature_channels=512,
    hidden_channels=1024,
    content_channels=256,
    head=dict(in_channels=512),
    decoder=dict(type='AdaINDecoder', content_channels=256,
                 forgery_channels=1024, channels=(256, 128, 64),
                 dropout=0.3),
    methods=['real', 'Deepfakes', 'Face2Face', 'FaceSwap', 'NeuralTextures'],
    specific_weight=0.1,
    reconstruction_weight=0.3,
    contrastive_weight=0.05,
    contrastive_margin=3.0,
    shuffle_common_prob=0.7)
