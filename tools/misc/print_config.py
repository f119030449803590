"""Print a config as the runner sees it: ``_base_`` files merged and
``--cfg-options`` applied (mmpretrain's ``tools/misc/print_config.py``).

    python tools/misc/print_config.py configs/qc_demo.py \
        --cfg-options train_cfg.max_epochs=3
"""
import argparse

from qcdet.utils.cli import (
    add_cfg_options_argument,
    apply_cfg_options,
    check_config,
)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Print a config with its _base_ files merged and '
        '--cfg-options applied.')
    parser.add_argument('config', help='config file')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    check_config(args.config)
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')


if __name__ == '__main__':
    main()
