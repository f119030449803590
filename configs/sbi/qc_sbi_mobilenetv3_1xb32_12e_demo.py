# QC on SBI, demo data: sbi_mobilenetv3_1xb32_12e_demo.py + the QC block.
# Each self-blend record's static score is its realism level (set by the
# dataset), so the curriculum's exp(beta_t * z) selection paces the generator
# from obvious blends (beta -1) to subtle ones (beta +1), and the least
# realistic 30 % go through FreDA with their own source (docs/sbi.md).
_base_ = ['./sbi_mobilenetv3_1xb32_12e_demo.py', '../_base_/qc.py']
train_dataloader = dict(
    sampler={{_base_.qc_sampler}},
    # the QC twins' train file; its reals are train.json's (the static
    # scores it adds belong to fakes, which reals_only leaves out), so a copy
    # of train.json does as well
    dataset=dict(ann_file='annotations/train_static.json'))
