# The data preprocessor of every model base: BGR frames to RGB, normalised
# with ImageNet's mean/std (a base sets its backbone's own: [-1, 1] for
# Xception, CLIP's for the CLIP ViTs), and the GPU settings of the FF++
# configs: batches and weights in channels_last, host-to-device copies
# overlapping compute. The CPU models (demo, tests) switch those off.
model = dict(
    data_preprocessor=dict(
        type='DeepfakeDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        channels_last=True,
        non_blocking=True))
