# QC on SBI, FF++ c23: sbi_efficientnet_b4_1xb32_100e_ffpp.py + the QC
# block: the curriculum paces the self-blend generator by realism, the least
# realistic 30 % go through FreDA with their own source (docs/sbi.md).
_base_ = ['./sbi_efficientnet_b4_1xb32_100e_ffpp.py', '../_base_/qc.py']
train_dataloader = dict(
    sampler={{_base_.qc_sampler}},
    # the QC twins' train file; its reals are train.json's (the static
    # scores belong to fakes, which reals_only leaves out): a copy of
    # train.json does as well
    dataset=dict(ann_file='annotations/train_static.json'))
