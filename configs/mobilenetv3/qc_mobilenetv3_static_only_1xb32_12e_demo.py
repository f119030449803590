# Ablation: FQS from the static score only (no detector feedback).
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
custom_hooks = [dict(type='QualityScoreHook', combiner=dict(type='FQSCombiner', use_dynamic=False))]  # noqa: E501
