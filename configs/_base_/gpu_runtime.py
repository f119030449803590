# default_runtime.py plus the settings of a GPU run (the FF++ configs):
# cuDNN times its convolution algorithms once and keeps the fastest (the
# input size is fixed), and the model and its batches are in channels_last
# memory format, which tensor-core convolutions under AMP want. Both are
# harmless on CPU; switch them off with
#   --cfg-options env_cfg.cudnn_benchmark=False default_hooks.channels_last=None
_base_ = ['./default_runtime.py']
env_cfg = dict(cudnn_benchmark=True)
default_hooks = dict(channels_last=dict(type='ChannelsLastHook'))
