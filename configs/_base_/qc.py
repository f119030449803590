# The quality-centric (QC) building block (arXiv 2411.05335). Turn any
# detector config into its QC version with two lines:
#
#   _base_ = ['./baseline_xxx.py', './_base_/qc.py']
#   train_dataloader = dict(sampler={{_base_.qc_sampler}})
#
# plus, for static scores, `dataset=dict(ann_file=...)` pointing at the train
# annotations written by tools/quality/score_static.py (without them FQS uses
# the detector's feedback only).
#
# Every train pipeline already holds FreqAugment right after LoadFrame; it
# only acts on fakes the curriculum sampler marks "easy", so without this
# block it is a no-op. Defaults and their reasons: docs/method.md.

# Learning pacing: the share of "hard" fakes (used as they are) grows from
# start_fraction towards end_fraction, reached at end_epoch; the other fakes
# are "easy" and go through FreDA. Hard fakes are drawn with probability
# increasing with FQS. mode='routing': every fake once per epoch, FQS routes
# the easy ones to FreDA; mode='selection': the epoch's fake slots are shared
# in proportion to a weight growing with FQS (docs/method.md, "Chosen
# defaults", says why routing is the default).
qc_sampler = dict(
    type='QualityCurriculumSampler',
    shuffle=True,
    mode='routing',           # routing | selection
    pacing='linear',          # linear | root | geometric | step | constant
    start_fraction=0.3,
    end_epoch=None,           # None: 2/3 of max_epochs
    end_fraction=0.7,         # the least realistic 30 % stay in FreDA
    temperature=0.5,          # None = uniform choice
    direction='high_is_hard')  # or 'low_is_hard'

# Quality evaluator: static q from the annotation files' `static_quality`
# (tools/quality/score_static.py), dynamic d from the detector's own
# training outputs, FQS = d + alpha * q after rank normalisation.
custom_hooks = [
    dict(type='QualityScoreHook',
         dynamic=dict(type='ModelFeedbackEvaluator', signal='prob'),
         combiner=dict(type='FQSCombiner', alpha=1.0, normalize='rank',
                       use_static=True, use_dynamic=True)),
]
