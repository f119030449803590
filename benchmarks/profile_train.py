"""cProfile of one demo training run in the training process: where a step's
time goes besides the model.

Builds the config like train_throughput.py does (generated demo data, no
validation, no checkpoints), trains a warm-up epoch plus ``--epochs`` under
cProfile and prints the functions with the most cumulative time, filtered by
``--filter`` (a regular expression on file:function; default: the data path,
hooks and the data preprocessor).

    python -m benchmarks.profile_train [--config configs/qc_demo.py] \
        [--epochs 3] [--filter REGEX]
"""
import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from benchmarks.timed_training import REPO, build_cfg, make_data

DEFAULT_FILTER = 'qcdet|dataloader.py|collate|data_preprocessor|hook|seed'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--config', default='configs/baseline_demo.py')
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--identities', type=int, default=20)
    parser.add_argument('--filter', default=DEFAULT_FILTER)
    parser.add_argument('--top', type=int, default=30)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    init_default_scope('qcdet')
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_data(tmp / 'demo', args.identities, 64)
        run_args = argparse.Namespace(epochs=args.epochs, workers=None,
                                      img_size=64, cfg_options=None)
        cfg = build_cfg(REPO / args.config, tmp / 'demo', tmp / 'work',
                        run_args, 'profile')
        runner = Runner.from_cfg(cfg)
        profile = cProfile.Profile()
        profile.enable()
        runner.train()
        profile.disable()
    stats = pstats.Stats(profile)
    print(f'# {runner.iter} iterations; total {stats.total_tt:.2f} s')
    stats.sort_stats('cumulative').print_stats(args.filter, args.top)
    print(f'profiled_iterations: {runner.iter}')
    print(f'profiled_seconds: {stats.total_tt:.3f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
