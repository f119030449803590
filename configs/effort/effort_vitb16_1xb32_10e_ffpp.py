# Effort (Yan et al., ICML 2025) on CLIP ViT-B/16, FF++ c23: each attention
# projection (q, k, v, out) of the frozen encoder is split by SVD; only its
# smallest singular direction (svd_rank=1, Effort's r = dim - 1 frozen ones)
# and the linear head train, under the orthogonality and singular-value
# losses (EffortDetector, weights 1.0). The authors' schedule: Adam lr 2e-4,
# wd 5e-4, batch 32, 10 epochs, 224 px, CLIP's normalisation; AMP.
# docs/zoo.md
_base_ = ['../clip/clip_probe_vitb16_1xb32_10e_ffpp.py']
model = dict(
    type='EffortDetector',
    orth_loss_weight=1.0,
    sv_loss_weight=1.0,
    backbone=dict(trainable='effort', svd_rank=1))
optim_wrapper = dict(optimizer=dict(lr=2e-4, weight_decay=5e-4))
