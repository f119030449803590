# CLIP ViT-B/16 image encoder (OpenAI weights) as a DeepfakeDetector
# backbone: the CLS token (768 ch, after the final LayerNorm) into a linear
# real/fake head. CLIP's normalisation, RGB, 224 px input (the position
# embedding is for a 14x14 grid of 16 px patches). timm's `_quickgelu_`
# variant of vit_base_patch16_clip_224.openai: the same weights with the
# activation OpenAI trained them with (QuickGELU, x * sigmoid(1.702 x));
# timm's plain name uses GELU, which shifts the frozen features.
# Weights: _base_/imagenet_weights.py (clip_vit_b16_openai).
# `backbone.trainable`: 'all' | 'none' (linear probe) | 'layernorm'.
_base_ = ['../imagenet_weights.py', './data_preprocessor.py']
model = dict(
    type='DeepfakeDetector',
    data_preprocessor=dict(
        # OpenAI CLIP's mean/std (0.48145466, 0.4578275, 0.40821073) and
        # (0.26862954, 0.26130258, 0.27577711), times 255
        mean=[122.7709383, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305]),
    backbone=dict(
        type='ClipViTBackbone',
        model_name='vit_base_patch16_clip_quickgelu_224.openai',
        trainable='all',
        init_cfg={{_base_.clip_vit_b16_openai}}),
    head=dict(type='BinaryClsHead', in_channels=768, dropout=0.0))
