"""Browse a config's data as training would see it in one epoch: a PNG grid
of samples with label and method, the image after the pipeline's steps and,
for a quality-centric config, FQS, the curriculum's hard/easy decision and
whether FreDA was applied (mmpretrain's ``tools/misc/browse_dataset.py``,
with the epoch added: the curriculum changes every epoch).

    python tools/misc/browse_dataset.py configs/qc_demo.py --epoch 1 \
        -n 12 --output-dir work_dirs/browse

The epoch's FQS is what ``QualityScoreHook`` would give the sampler: the
static scores (and, with ``--scores``, a run's recorded dynamic ones; a
fresh run has none, so every fake gets the median dynamic score, i.e.
FQS = alpha * q). ``--scores work_dir/quality/epoch_K.json`` holds the
dynamic scores after epoch K, which plan epoch K + 1 (the default
``--epoch`` then).

MMEngine, torch and matplotlib load after the arguments, so ``--help``
answers at once.
"""
import argparse
import os.path as osp

from qcdet.utils.cli import (
    add_cfg_options_argument,
    apply_cfg_options,
    check_config,
)

# --mode choices (qcdet.visualization.dataset_browser.BROWSE_MODES, checked
# equal by tests/test_tools/test_misc_tools.py)
BROWSE_MODES = ('original', 'transformed', 'concat', 'pipeline')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Browse a config\'s data as one training epoch sees '
        'it: a grid of samples after the pipeline, with the curriculum\'s '
        'decisions.')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', help='write the grid PNG here')
    parser.add_argument('--show', action='store_true',
                        help='show the grid in a window')
    parser.add_argument('--phase', default='train',
                        choices=['train', 'val', 'test'],
                        help='which dataloader to browse')
    parser.add_argument('--epoch', type=int, default=None,
                        help='1-based epoch to replay (default 1, or the '
                        'one after --scores)')
    parser.add_argument('--scores', metavar='EPOCH_FILE',
                        help='a QualityScoreHook epoch file '
                        '(work_dir/quality/epoch_K.json): its dynamic '
                        'scores enter the FQS')
    parser.add_argument('-n', '--show-number', '--max-samples', type=int,
                        default=12, dest='show_number',
                        help='samples shown: the first the sampler yields')
    parser.add_argument('--mode', default='concat', choices=BROWSE_MODES,
                        help='original: as loaded; transformed: the model '
                        'input; concat: loaded, after FreDA (if the '
                        'pipeline has it) and model input; pipeline: after '
                        'every step')
    parser.add_argument('--ncols', type=int, default=4,
                        help='panels per row')
    parser.add_argument('--seed', type=int, default=None,
                        help="the sampler's seed (default: the config's "
                        'randomness.seed)')
    add_cfg_options_argument(parser)
    args = parser.parse_args()
    if not (args.output_dir or args.show):
        parser.error('nothing to do: give --output-dir and/or --show')
    return args


def main():
    args = parse_args()
    check_config(args.config)
    from mmengine.config import Config

    from qcdet.visualization import save_figure
    from qcdet.visualization.dataset_browser import (
        EpochReplay,
        browse_samples,
        plot_browsed_samples,
        read_dynamic,
    )
    cfg = Config.fromfile(args.config)
    apply_cfg_options(cfg, args.cfg_options)
    dynamic, epoch = None, args.epoch or 1
    if args.scores:
        dynamic, scored_epoch = read_dynamic(args.scores)
        epoch = args.epoch or scored_epoch + 1
    replay = EpochReplay(cfg, epoch, args.phase, args.seed, dynamic)
    samples = browse_samples(replay, args.show_number, args.mode)
    plan = replay.plan
    title = f'{osp.basename(args.config)}, {args.phase} epoch {epoch}'
    if plan is not None:
        title += (f': {plan.num_hard} hard / {plan.num_easy} easy fakes '
                  f'(hard fraction {plan.hard_fraction:.2f})')
    fig, _ = plot_browsed_samples(samples, args.ncols, title)
    if args.output_dir:
        name = osp.splitext(osp.basename(args.config))[0]
        path = save_figure(fig, osp.join(
            args.output_dir, f'{name}_{args.phase}_epoch{epoch}.png'))
        print(f'{len(samples)} samples written: {path}')
    for sample in samples:
        print(' '.join(f'{k}={v:.4f}' if isinstance(v, float) else f'{k}={v}'
                       for k, v in sample.items()
                       if k not in ('steps', 'img_path')))
    if args.show:
        import matplotlib.pyplot as plt
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        canvas = FigureCanvasAgg(fig)  # the grid, drawn into a window
        canvas.draw()
        plt.figure(figsize=fig.get_size_inches())
        plt.imshow(canvas.buffer_rgba())
        plt.axis('off')
        plt.show()


if __name__ == '__main__':
    main()
