# The start of every SBI train pipeline (configs/sbi/; docs/sbi.md): the
# frame, then SelfBlend, which turns each self-blend record into its
# self-blend at the record's realism, then FreDA from the self-blend's source
# in memory. A leaf adds its Resize and augmentations after it.
sbi_pipeline_head = [
    dict(type='LoadFrame'),
    # first after loading: the landmarks are in the loaded image's pixels,
    # so nothing may move pixels before it (the dataset checks)
    dict(type='SelfBlend'),
    # FreDA (radius_ratio=0.1 of the size loaded: band 3.2 at 64 px, 12.8 at
    # 256 px); acts only on samples the QualityCurriculumSampler marks
    # "easy", so a no-op without the QC block (a ready slot for the QC twin)
    dict(type='SelfBlendFreqAugment', mask_shape='circle', radius_ratio=0.1,
         prob=1.0),
]
