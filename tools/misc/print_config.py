"""Print a config as the runner sees it: ``_base_`` files merged and
``--cfg-options`` applied (mmpretrain's ``tools/misc/print_config.py``).

    python tools/misc/print_config.py configs/qc_demo.py \
        --cfg-options train_cfg.max_epochs=3
"""
import argparse

from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Print the full config')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings, key=value (as in tools/train.py)')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')


if __name__ == '__main__':
    main()
