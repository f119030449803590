# DFDC public test set. A cross-dataset test set; change `data_root` only.
# Made by: python tools/data/preprocess.py --dataset dfdc --root <DFDC test
# folder> --out data/dfdc
_base_ = ['./cross_dataset_test.py']
data_root = 'data/dfdc'
test_dataloader = dict(dataset=dict(data_root=data_root))
