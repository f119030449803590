# CORE (Ni et al., CVPRW 2022) on Xception: CE on two views + consistency of
# their pooled representations. View 2 is augmented inside the model.
_base_ = ['./xception.py']
model = dict(
    type='COREDetector',
    consistency_weight=1.0,
    view_aug=dict(flip_prob=0.5, crop_scale=(0.8, 1.0), brightness=0.2,
                  contrast=0.2))
