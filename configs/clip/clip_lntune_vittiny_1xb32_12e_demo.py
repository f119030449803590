# LayerNorm tuning's machinery on the synthetic demo data (64 px) with a small
# CLIP-layout ViT (random init, no download): only the LayerNorms and the head
# train. Schedule of mobilenetv3_1xb32_12e_demo.py; a few minutes on a CPU.
_base_ = ['./clip_probe_vittiny_1xb32_12e_demo.py']
model = dict(backbone=dict(trainable='layernorm'))
optim_wrapper = dict(
    optimizer=dict(weight_decay=1e-5), paramwise_cfg=dict(norm_decay_mult=0.0))
