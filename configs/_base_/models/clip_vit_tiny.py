# A small ViT laid out like CLIP's image encoder (pre-norm, QuickGELU, no
# patch bias, CLS token after the final LayerNorm), random init, for the
# CLIP detectors' demo configs and tests: ViT-Tiny's width (192 ch, 3 heads)
# with 4 blocks and 8 px patches, so the demo's 64 px faces make an 8x8
# token grid. It trains on a 2-core CPU at about 1.5x the time of
# mobilenetv3_small.py's demo; it downloads nothing, so the demo configs
# exercise the detectors' machinery, not CLIP's features.
_base_ = ['./clip_vit_b16.py']
model = dict(
    data_preprocessor=dict(channels_last=False, non_blocking=False),
    backbone=dict(
        model_name='vit_tiny_patch16_224',
        img_size=64,
        patch_size=8,
        depth=4,
        pre_norm=True,
        act_layer='quick_gelu',
        init_cfg=None),
    head=dict(in_channels=192))
