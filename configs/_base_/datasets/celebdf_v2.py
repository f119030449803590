# Celeb-DF v2, official test list (518 videos). A cross-dataset test set;
# change `data_root` only.
# Made by: python tools/data/preprocess.py --dataset celebdf_v2 --root
# <Celeb-DF-v2> --out data/celebdf_v2
_base_ = ['./cross_dataset_test.py']
data_root = 'data/celebdf_v2'
test_dataloader = dict(dataset=dict(data_root=data_root))
