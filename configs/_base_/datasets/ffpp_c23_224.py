# ffpp_c23.py at 224 px, the CLIP ViTs' input size (their position embedding
# is for a 14x14 (B/16) or 16x16 (L/14) grid of patches at 224): the same
# pipelines (_base_/datasets/deepfake_pipelines.py) with each Resize to
# img_size. tools/infer.py, get_flops.py and vis_cam.py take the size from
# the test pipeline's Resize. FreDA runs before the Resize, at the size
# loaded (docs/method.md, FreDA).
_base_ = ['./ffpp_c23.py']
img_size = 224


def _resized(pipeline):
    """The pipeline with each Resize to img_size (MMEngine keeps functions
    out of the config)."""
    return [dict(t, scale=(img_size, img_size)) if t.type == 'Resize' else t
            for t in pipeline]


train_pipeline = _resized(_base_.train_pipeline)
test_pipeline = _resized(_base_.test_pipeline)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
