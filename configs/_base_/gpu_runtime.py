# default_runtime.py plus the runtime of a GPU run (the FF++ configs): cuDNN
# times its convolution algorithms once and keeps the fastest (the input
# size is fixed). Harmless on CPU; switch it off with
#   --cfg-options env_cfg.cudnn_benchmark=False
# The FF++ model bases put batches and weights in channels_last memory
# format (model.data_preprocessor.channels_last), which tensor-core
# convolutions under AMP want.
_base_ = ['./default_runtime.py']
env_cfg = dict(cudnn_benchmark=True)
