"""Train a detector: ``python tools/train.py CONFIG [options]``.

Heavy modules are imported after the arguments, the config path, the
``--cfg-options`` keys and the data files are checked, so mistakes end in
one line at once (and ``--help`` is instant).
"""
import argparse
import os
import os.path as osp

from qcdet.utils.cli import (
    add_cfg_options_argument,
    add_vis_backends_argument,
    apply_cfg_options,
    check_config,
    check_data_files,
    fail,
    vis_backends_config,
)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Train a deepfake detector with MMEngine\'s Runner.')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or with no value from the '
        'latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic mixed precision training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the total batch size (processes x '
        'batch_size) over the config\'s auto_scale_lr.base_batch_size')
    add_vis_backends_argument(parser)
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    add_cfg_options_argument(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank / --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help='set by torch.distributed launchers')
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
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.vis_backends:
        cfg.visualizer.vis_backends = vis_backends_config(args.vis_backends)
    if args.auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr') or {}, enable=True)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint.pop('save_best', None)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    apply_cfg_options(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    if args.auto_scale_lr and \
            not (cfg.get('auto_scale_lr') or {}).get('base_batch_size'):
        fail(f'--auto-scale-lr: {args.config} sets no '
             'auto_scale_lr.base_batch_size (the total batch size its '
             'learning rate is meant for)')
    check_amp_device(cfg)
    return cfg


def check_amp_device(cfg):
    """MMEngine's AmpOptimWrapper fails deep in the runner without a GPU;
    say so at once, with the way out."""
    import torch
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper' and \
            not torch.cuda.is_available():
        fail(
            'this config trains with automatic mixed precision '
            '(AmpOptimWrapper), which needs a CUDA GPU. To train in fp32 on '
            'this machine, add --cfg-options optim_wrapper.type=OptimWrapper')


def resumes_a_checkpoint(cfg) -> bool:
    """True when the runner will load a checkpoint to resume: a given one,
    or the work dir's latest (``--resume`` on a fresh work dir starts from
    scratch, so it still needs the pretrained weights)."""
    from mmengine.runner import find_latest_checkpoint
    if not cfg.get('resume'):
        return False
    return bool(cfg.get('load_from')) or \
        find_latest_checkpoint(cfg.work_dir) is not None


def prepare_pretrained_weights(cfg):
    """Fetch the ImageNet weights the model starts from before any data is
    read, so that a missing file stops the run at once with one message.
    A resumed run takes every weight from its checkpoint: it needs none."""
    from qcdet.models.weight_init import (
        fetch_pretrained_weights,
        pretrained_init_cfgs,
    )
    from qcdet.utils import ModelFileUnavailable
    if resumes_a_checkpoint(cfg):
        for key, _ in list(pretrained_init_cfgs(cfg.model)):
            cfg.merge_from_dict({key: None})
        return
    try:
        fetch_pretrained_weights(cfg.model)
    except ModelFileUnavailable as e:
        fail(str(e))


def main():
    args = parse_args()
    check_config(args.config)
    from mmengine.config import Config
    cfg = merge_args(Config.fromfile(args.config), args)
    check_data_files(cfg, ['train_dataloader', 'val_dataloader'])
    from mmengine.runner import Runner

    from qcdet.engine import drop_disabled_hooks
    from qcdet.utils import setup_distributed
    from qcdet.utils.checkpoint import use_safe_checkpoint_loading
    drop_disabled_hooks(cfg)
    prepare_pretrained_weights(cfg)
    setup_distributed(cfg, args.launcher)
    use_safe_checkpoint_loading()
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
