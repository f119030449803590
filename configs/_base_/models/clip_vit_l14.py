# CLIP ViT-L/14 image encoder (OpenAI weights; 24 blocks, 1024 ch, a 16x16
# grid of 14 px patches at 224 px): clip_vit_b16.py with the larger encoder,
# the backbone of UnivFD and Effort's papers.
_base_ = ['./clip_vit_b16.py']
model = dict(
    backbone=dict(
        model_name='vit_large_patch14_clip_quickgelu_224.openai',
        init_cfg={{_base_.clip_vit_l14_openai}}),
    head=dict(in_channels=1024))
