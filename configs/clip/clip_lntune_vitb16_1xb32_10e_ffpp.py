# LayerNorm tuning of CLIP ViT-B/16 (GenD, Yermakov et al., 2025) on FF++ c23:
# only the encoder's LayerNorm weights and biases (40 k of 86 M) and the
# linear head train. DeepfakeBench's Adam lr 2e-4 wd 5e-4, without weight
# decay on the LayerNorms (it would pull their scales from CLIP's towards
# 0). 224 px, CLIP's normalisation, 10 epochs, AMP. GenD's L2-normalised
# features and its alignment/uniformity losses are not part of this config
# (docs/zoo.md).
_base_ = ['./clip_probe_vitb16_1xb32_10e_ffpp.py']
model = dict(backbone=dict(trainable='layernorm'))
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=5e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0))
