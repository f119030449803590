# DFDC public test set. A cross-dataset test set; change `data_root` only.
_base_ = ['./cross_dataset_test.py']
data_root = 'data/dfdc'
test_dataloader = dict(dataset=dict(data_root=data_root))
