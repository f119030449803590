"""Distributed set-up that also works without a GPU.

MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` and its DDP wrapper
passes ``device_ids=[LOCAL_RANK]``; both fail on CPU-only machines. Here the
process group is initialised first (``gloo`` on CPU, ``nccl`` on GPU), so the
Runner skips its own ``init_dist``, and the DDP wrapper gets
``device_ids=None`` on CPU.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, ConfigDict

__all__ = ['setup_distributed']


def _env_rank_world(launcher: str):
    if launcher == 'pytorch':
        return int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
    if launcher == 'slurm':
        rank, world = int(os.environ['SLURM_PROCID']), \
            int(os.environ['SLURM_NTASKS'])
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            import subprocess
            node_list = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {node_list} | head -n1')
        os.environ.update(RANK=str(rank), WORLD_SIZE=str(world),
                          LOCAL_RANK=os.environ.get('SLURM_LOCALID', '0'))
        return rank, world
    raise ValueError(f'Unsupported launcher {launcher!r}: use none, pytorch '
                     'or slurm')


def setup_distributed(cfg: Config, launcher: str) -> Config:
    """Pick the backend and, on CPU, initialise the process group and make
    the DDP wrapper device-agnostic. Returns ``cfg`` (changed in place)."""
    if launcher == 'none':
        return cfg
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    dist_cfg = env_cfg.setdefault('dist_cfg', ConfigDict())
    if torch.cuda.is_available():
        dist_cfg.setdefault('backend', 'nccl')
        if launcher == 'slurm':
            _env_rank_world(launcher)
        return cfg

    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        rank, world = _env_rank_world(launcher)
        kwargs = {k: v for k, v in dist_cfg.items() if k != 'backend'}
        if 'timeout' in kwargs:
            import datetime
            kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
        torch_dist.init_process_group(
            backend='gloo', rank=rank, world_size=world, **kwargs)
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel',
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return cfg
