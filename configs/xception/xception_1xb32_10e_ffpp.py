# Xception on FF++ c23, DeepfakeBench protocol: 256 px, Adam lr 2e-4 wd 5e-4,
# batch 32, 10 epochs, 32 frames per video.
_base_ = [
    '../_base_/models/xception.py', '../_base_/datasets/ffpp_c23.py',
    '../_base_/schedules/adam_10e_amp.py', '../_base_/gpu_runtime.py'
]
