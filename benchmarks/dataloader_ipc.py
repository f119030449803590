"""How DataLoader workers hand batches to the training process, and what it
costs: the plain demo run's step_over_fwd_bwd (Runner step ÷ bare model
step, see train_throughput.py) for four settings, alternating in one
process so a shared machine's noise hits them alike.

  base         torch's default sharing strategy (file_descriptor) and
               MMEngine's pseudo_collate (one shared tensor per image)
  file_system  torch.multiprocessing sharing strategy 'file_system'
  stack        collate_fn=default_collate: one stacked tensor per batch
  stack_fs     both

Prints ``<setting>_step_over_fwd_bwd`` (wall) and
``<setting>_step_over_fwd_bwd_cpu`` (this process's CPU time) lines.

    python -m benchmarks.dataloader_ipc [--rounds 2] [--identities 20]
"""
import argparse
import statistics
import tempfile
from pathlib import Path

import torch
from mmengine.registry import init_default_scope

from benchmarks.timed_training import REPO, build_cfg, make_data, train

STACK = {'train_dataloader.collate_fn.type': 'default_collate'}
SETTINGS = dict(base=({}, 'file_descriptor'),
                file_system=({}, 'file_system'),
                stack=(STACK, 'file_descriptor'),
                stack_fs=(STACK, 'file_system'))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--identities', type=int, default=20)
    p.add_argument('--workers', type=int)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    init_default_scope('qcdet')
    wall = {name: [] for name in SETTINGS}
    cpu = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_data(tmp / 'demo', args.identities, 64)
        for r in range(args.rounds):
            for name, (options, strategy) in SETTINGS.items():
                torch.multiprocessing.set_sharing_strategy(strategy)
                run_args = argparse.Namespace(
                    epochs=args.epochs, workers=args.workers, img_size=64,
                    cfg_options=options)
                cfg = build_cfg(REPO / 'configs/baseline_demo.py',
                                   tmp / 'demo', tmp / f'{name}_{r}',
                                   run_args, f'{name}_{r}')
                record = train(cfg, qc=False)
                wall[name] += [v / b for v, b in zip(record.img_per_s(),
                                                     record.probe)]
                cpu[name] += [v / b for v, b in zip(record.img_per_cpu_s(),
                                                    record.probe_cpu)]
    for name in SETTINGS:
        print(f'{name}_step_over_fwd_bwd: {statistics.median(wall[name]):.3f}')
        print(f'{name}_step_over_fwd_bwd_cpu: '
              f'{statistics.median(cpu[name]):.3f}')


if __name__ == '__main__':
    main()
