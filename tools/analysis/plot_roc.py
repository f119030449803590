"""ROC curves of one or more test sets from ``tools/test.py --out`` dumps.

    python tools/analysis/plot_roc.py preds_ffpp.pkl preds_celebdf.pkl \
        --names ffpp celebdf --out roc.png

Matplotlib and qcdet load after the arguments, so ``--help`` answers at once.
"""
import argparse
import json


def parse_args():
    parser = argparse.ArgumentParser(
        description='Plot the ROC curves of test sets from the prediction '
        'pickles of tools/test.py --out.')
    parser.add_argument('pred_files', nargs='+',
                        help='pickles written by tools/test.py --out')
    parser.add_argument('--names', nargs='+',
                        help='one legend name per file (default: file names)')
    parser.add_argument('--no-video', action='store_true',
                        help='frame-level curves only')
    parser.add_argument('--aggregation', choices=['mean', 'max'],
                        default='mean', help='video score from its frames')
    parser.add_argument('--out', default='roc.png', help='output PNG')
    return parser.parse_args()


def main():
    args = parse_args()
    names = args.names or [p.rsplit('/', 1)[-1].rsplit('.', 1)[0]
                           for p in args.pred_files]
    if len(names) != len(args.pred_files):
        raise SystemExit(f'--names has {len(names)} names for '
                         f'{len(args.pred_files)} files')
    from qcdet.visualization import load_predictions, plot_roc, save_figure
    predictions = [load_predictions(p) for p in args.pred_files]
    fig, curves = plot_roc(predictions, names, video=not args.no_video,
                           aggregation=args.aggregation)
    save_figure(fig, args.out)
    print(json.dumps({name: {level: round(c['auc'], 6)
                             for level, c in levels.items()}
                      for name, levels in curves.items()}, indent=2))
    print(f'ROC curves written to {args.out}')


if __name__ == '__main__':
    main()
