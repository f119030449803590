# adam_10e.py with automatic mixed precision (fp16 autocast, dynamic loss
# scale) for GPU training. MMEngine's AmpOptimWrapper refuses to build
# without a GPU (CUDA/NPU/MLU/MUSA); on CPU train in fp32 with
#   --cfg-options optim_wrapper.type=OptimWrapper
_base_ = ['./adam_10e.py']
optim_wrapper = dict(type='AmpOptimWrapper')
