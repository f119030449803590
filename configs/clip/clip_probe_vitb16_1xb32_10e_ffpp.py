# Linear probe on frozen CLIP ViT-B/16 features (UnivFD, Ojha et al., CVPR
# 2023) on FF++ c23: the backbone never trains (and stays in eval mode), only
# the linear real/fake head does. UnivFD's optimiser: Adam lr 1e-4, no weight
# decay (its batch of 256 is DeepfakeBench's 32 here). 224 px input
# (_base_/datasets/ffpp_c23_224.py), CLIP's normalisation; 10 epochs, AMP.
# docs/zoo.md
_base_ = [
    '../_base_/models/clip_vit_b16.py', '../_base_/datasets/ffpp_c23_224.py',
    '../_base_/schedules/adam_10e_amp.py', '../_base_/gpu_runtime.py'
]
model = dict(backbone=dict(trainable='none'))
optim_wrapper = dict(optimizer=dict(lr=1e-4, weight_decay=0.0))

