# Runtime shared by every config.
default_scope = 'qcdet'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # checkpoint selection uses the validation split, never a test set
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='frame_auc', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # reseed python/numpy/torch before every step from (seed, iteration), so
    # a resumed run draws what an uninterrupted one would
    # (docs/robustness.md); augmentations are seeded per sample by
    # QualityCurriculumSampler
    step_seed=dict(type='StepSeedHook'),
    # stop with an error naming epoch, iteration and frames on a NaN/inf loss
    invalid_loss=dict(type='CheckInvalidLossHook'),
    # any of these can be switched off with None (tools/train.py, test.py)
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # backend: nccl on GPU, gloo on CPU (chosen by
    # qcdet.utils.setup_distributed)
    dist_cfg=dict(),
)

vis_backends = [dict(type='LocalVisBackend')]
# TensorBoard too (pip install tensorboard; events in <run>/vis_data), or
# tools/train.py --vis-backends local tensorboard:
# vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]  # noqa: E501
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
