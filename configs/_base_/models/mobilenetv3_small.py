# Small, fast detector for tests and the demo (random init by default),
# ImageNet normalisation; a CPU model, so without the GPU settings.
_base_ = ['./data_preprocessor.py']
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(channels_last=False, non_blocking=False),
    backbone=dict(
        type='TimmBackbone',
        model_name='mobilenetv3_small_050',
        checkpoint_path=None),
    head=dict(type='BinaryClsHead', in_channels=288, dropout=0.0))
# timm's MobileNetV3 keeps its pre-logits `conv_head`, which feature
# extraction never runs: DDP must not wait for its gradients.
find_unused_parameters = True
