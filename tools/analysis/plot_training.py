"""Training curves (loss, accuracy, validation metrics per epoch) from an
MMEngine work dir's ``*/vis_data/scalars.json``.

    python tools/analysis/plot_training.py work_dirs/qc_demo --out curves.png

Matplotlib and qcdet load after the arguments, so ``--help`` answers at once.
"""
import argparse


def parse_args():
    parser = argparse.ArgumentParser(
        description='Plot the training curves (loss, accuracy, validation '
        'metrics per epoch) of an MMEngine work dir.')
    parser.add_argument('work_dir', help='MMEngine work dir')
    parser.add_argument('--val-keys', nargs='+', default=['frame_auc'],
                        help='validation metrics to plot')
    parser.add_argument('--out', default='training_curves.png',
                        help='output PNG (default: %(default)s)')
    return parser.parse_args()


def main():
    args = parse_args()
    from qcdet.visualization import (
        find_scalar_logs,
        load_training_log,
        plot_training_curves,
        save_figure,
    )
    logs = find_scalar_logs(args.work_dir)
    log = load_training_log(logs, args.val_keys)
    fig, _ = plot_training_curves(log, title=f'Training: {args.work_dir}')
    save_figure(fig, args.out)
    for epoch, values in log['train'].items():
        val = log['val'].get(epoch, {})
        print(f'epoch {epoch}: ' + ' '.join(
            f'{k}={v:.4f}' for k, v in {**values, **val}.items()))
    print(f'{len(logs)} log file(s); written: {args.out}')


if __name__ == '__main__':
    main()
