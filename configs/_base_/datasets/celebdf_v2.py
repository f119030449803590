# Celeb-DF v2, official test list (518 videos). A cross-dataset test set; change `data_root` only.
_base_ = ['./cross_dataset_test.py']
data_root = 'data/celebdf_v2'
test_dataloader = dict(dataset=dict(data_root=data_root))
