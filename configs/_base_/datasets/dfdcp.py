# DFDC preview test set. A cross-dataset test set; change `data_root` only.
# Made by: python tools/data/preprocess.py --dataset dfdcp --root <DFDC
# preview> --out data/dfdcp
_base_ = ['./cross_dataset_test.py']
data_root = 'data/dfdcp'
test_dataloader = dict(dataset=dict(data_root=data_root))
