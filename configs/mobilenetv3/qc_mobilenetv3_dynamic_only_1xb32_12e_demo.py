# Ablation: FQS from the detector's feedback only (no static score).
_base_ = ['./qc_mobilenetv3_1xb32_12e_demo.py']
custom_hooks = [dict(type='QualityScoreHook', combiner=dict(type='FQSCombiner', use_static=False))]  # noqa: E501
