# The quality-centric (QC) building block (arXiv 2411.05335). Turn any
# detector config into its QC version, its twin, with three lines:
#
#   # <plain>.py trained the quality-centric way.
#   _base_ = ['./<plain>.py', '../_base_/qc.py']
#   train_dataloader = {{_base_.qc_train_dataloader}}
#
# qc_train_dataloader (below) swaps in the curriculum sampler and reads the
# train annotations with static quality scores (without them FQS uses the
# detector's feedback only).
#
# Every train pipeline already holds FreqAugment right after LoadFrame; it
# only acts on fakes the curriculum sampler marks "easy", so without this
# block it is a no-op. Defaults and their reasons: docs/method.md.

# Learning pacing (mode='paced'): each epoch's fake slots are shared in
# proportion to exp(beta_t * z), z = the FQS rank in [0, 1] (1 = most
# realistic); beta_t rises from beta_start (easy fakes chosen more often) to
# beta_end (realistic fakes chosen more often), reached at end_epoch, along
# the pacing shape. The freda_fraction least realistic fakes (by FQS rank, so
# exactly that share) go through FreDA whenever chosen, the rest are used
# raw. 'routing' and 'selection' are the earlier readings (docs/method.md).
qc_sampler = dict(
    type='QualityCurriculumSampler',
    shuffle=True,
    mode='paced',             # paced | routing | selection
    pacing='linear',          # linear | root | geometric | step | constant
    end_epoch=None,           # None: 2/3 of max_epochs
    beta_start=-1.0,
    beta_end=1.0,
    freda_fraction=0.3,       # the least realistic 30 % always in FreDA
    direction='high_is_hard')  # or 'low_is_hard'

# What a twin changes in its plain config's train loader: the sampler, and
# the train annotations with `static_quality` (written by
# tools/quality/score_static.py; for SBI, whose dataset keeps the reals
# only, a copy of train.json does as well).
qc_train_dataloader = dict(
    sampler=qc_sampler, dataset=dict(ann_file='annotations/train_static.json'))

# Quality evaluator: static q from the annotation files' `static_quality`
# (tools/quality/score_static.py), dynamic d from the detector's own
# training outputs on the fakes it saw raw (smoothed over epochs by
# momentum), FQS = d + alpha * q after rank normalisation; a fake not yet
# seen raw takes the d its static rank predicts.
# pair_bands='auto': FreDA reads each real's stored low frequencies (the band
# cache beside the train annotation, written by score_static.py; rebuilt
# before training when missing or stale) instead of decoding the pair: the
# same images within one grey level, at a fraction of the cost
# (docs/benchmarks_speed.md). None: FreDA decodes the pairs.
custom_hooks = [
    dict(type='QualityScoreHook',
         dynamic=dict(type='ModelFeedbackEvaluator', signal='prob'),
         momentum=0.5,
         combiner=dict(type='FQSCombiner', alpha=1.0, normalize='rank',
                       use_static=True, use_dynamic=True,
                       impute_dynamic='static'),
         pair_bands='auto'),
]
