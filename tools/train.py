"""Train a detector: ``python tools/train.py CONFIG [options]``."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from qcdet.engine import drop_disabled_hooks
from qcdet.models.weight_init import (fetch_pretrained_weights,
                                      pretrained_init_cfgs)
from qcdet.utils import ModelFileUnavailable, setup_distributed


def parse_args():
    parser = argparse.ArgumentParser(description='Train a deepfake detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic mixed precision training')
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank / --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a CUDA GPU (MMEngine\'s '
                             'AmpOptimWrapper); train in fp32 on CPU')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint.pop('save_best', None)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    return cfg


def prepare_pretrained_weights(cfg):
    """Fetch the ImageNet weights the model starts from before any data is
    read, so that a missing file stops the run at once with one message.
    A resumed run takes every weight from its checkpoint: it needs none."""
    if cfg.get('resume'):
        for key, _ in list(pretrained_init_cfgs(cfg.model)):
            cfg.merge_from_dict({key: None})
        return
    try:
        fetch_pretrained_weights(cfg.model)
    except ModelFileUnavailable as e:
        raise SystemExit(f'ERROR: {e}') from None


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    drop_disabled_hooks(cfg)
    prepare_pretrained_weights(cfg)
    setup_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
