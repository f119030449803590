# Ablation: FQS from the static score only (no detector feedback).
_base_ = ['../qc_demo.py']
custom_hooks = [dict(type='QualityScoreHook', combiner=dict(type='FQSCombiner', use_dynamic=False))]  # noqa: E501
