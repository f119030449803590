# Effort's machinery on the synthetic demo data (64 px) with a small
# CLIP-layout ViT (random init, no download, so the split is of random
# weights): SVD-residual attention projections (svd_rank=1), the two
# regularisers and the head. Schedule of mobilenetv3_1xb32_12e_demo.py; minutes
# on a CPU.
_base_ = ['../clip/clip_probe_vittiny_1xb32_12e_demo.py']
model = dict(
    type='EffortDetector',
    orth_loss_weight=1.0,
    sv_loss_weight=1.0,
    backbone=dict(trainable='effort', svd_rank=1))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-5))
