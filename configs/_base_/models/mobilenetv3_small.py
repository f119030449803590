# Small, fast detector for tests and the demo (random init by default).
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='TimmBackbone',
        model_name='mobilenetv3_small_050',
        checkpoint_path=None),
    head=dict(type='BinaryClsHead', in_channels=288, dropout=0.0))
# timm's MobileNetV3 keeps its pre-logits `conv_head`, which feature
# extraction never runs: DDP must not wait for its gradients.
find_unused_parameters = True
