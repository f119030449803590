"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

With ``--datasets A B ...`` the checkpoint is tested on each set in one run
(cross-dataset testing): a table of frame/video AUC, EER, AP and ACC per set
and their average is printed and saved as ``cross_dataset.json`` and
``cross_dataset.csv`` in the work dir. See docs/testing_and_inference.md.
"""
import json
import os
import os.path as osp

from qcdet.utils.cli import (
    add_cfg_options_argument,
    add_vis_backends_argument,
    apply_cfg_options,
    check_checkpoint,
    check_config,
    check_data_files,
    fail,
    model_tool_parser,
    vis_backends_config,
)


def parse_args():
    parser = model_tool_parser(
        'Test a deepfake detector checkpoint on the config\'s '
        'test set or, with --datasets, on several sets in one run.',
        config_help='test config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', help='dump per-frame predictions to this pickle file')
    add_cfg_options_argument(parser)
    parser.add_argument(
        '--datasets', nargs='+', metavar='SET',
        help='test on each of these sets instead of the config\'s test set: '
        'a configs/_base_/datasets name (e.g. celebdf_v2), NAME=DATA_ROOT, '
        'a dataset config path or an annotation file path; with --out, '
        'predictions go to OUT_<set>.pkl')
    add_vis_backends_argument(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help='set by torch.distributed launchers')
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    check_config(args.config)
    check_checkpoint(args.checkpoint)
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.vis_backends:
        cfg.visualizer.vis_backends = vis_backends_config(args.vis_backends)
    cfg.load_from = args.checkpoint
    cfg.launcher = args.launcher
    if args.datasets:
        return test_on_datasets(cfg, args)
    check_data_files(cfg, ['test_dataloader'])
    # an unreadable frame is a counted, logged skip, not a worker crash
    cfg.test_dataloader.dataset.skip_unreadable = True
    if args.out:
        evaluator = cfg.test_evaluator
        metrics = evaluator if isinstance(evaluator, list) else [evaluator]
        cfg.test_evaluator = [*metrics,
                              dict(type='DumpResults', out_file_path=args.out)]
    runner = build_runner(cfg, args)
    metrics = runner.test()
    if runner.rank == 0:
        print(json.dumps({k: round(float(v), 6) for k, v in metrics.items()},
                         indent=2))


def test_on_datasets(cfg, args):
    """Load the checkpoint once and test it on every ``--datasets`` set."""
    from qcdet.evaluation import (
        NOT_TESTED_KEY,
        format_results_table,
        resolve_test_sets,
        results_table,
        run_test_sets,
        save_results_table,
    )
    try:
        test_sets = resolve_test_sets(args.datasets)
    except FileNotFoundError as e:
        fail(str(e))
    runner = build_runner(cfg, args)
    results = run_test_sets(runner, cfg, test_sets, out=args.out)
    if runner.rank != 0:
        return
    table = results_table(results)
    json_path, csv_path = save_results_table(
        table, cfg.work_dir,
        extra=dict(config=args.config, checkpoint=args.checkpoint,
                   data={s.name: dict(ann_file=s.dataset.get('ann_file'),
                                      data_root=s.dataset.get('data_root'))
                         for s in test_sets}))
    print(format_results_table(table))
    print(f'results saved to {json_path} and {csv_path}')
    if all(NOT_TESTED_KEY in row for row in table['datasets'].values()):
        fail('none of the test sets could be tested')


def build_runner(cfg, args):
    from mmengine.runner import Runner

    from qcdet.engine import drop_disabled_hooks
    from qcdet.utils import setup_distributed
    from qcdet.utils.checkpoint import use_safe_checkpoint_loading
    drop_disabled_hooks(cfg)
    setup_distributed(cfg, args.launcher)
    use_safe_checkpoint_loading()
    return Runner.from_cfg(cfg)


if __name__ == '__main__':
    main()
