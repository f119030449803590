# The flagship: EfficientNet-B4 on FF++ c23, trained the quality-centric way.
# Static quality: tools/quality/score_static.py (dlib, or --backend onnx with
# an ArcFace model) writes `static_quality` into the annotation files.
_base_ = ['./baseline_effnet_ffpp.py', './_base_/qc.py']
train_dataloader = dict(
    sampler={{_base_.qc_sampler}},
    # the train annotations with `static_quality`
    # (tools/quality/score_static.py)
    dataset=dict(ann_file='annotations/train_static.json'))
