# DeepFakeDetection (Google/Jigsaw) videos. A cross-dataset test set; change
# `data_root` only.
# Made by: python tools/data/preprocess.py --dataset dfd --root <FF++ root with
# DFD> --out data/dfd
_base_ = ['./cross_dataset_test.py']
data_root = 'data/dfd'
test_dataloader = dict(dataset=dict(data_root=data_root))
