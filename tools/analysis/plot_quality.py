"""Quality plots of a quality-centric training run: static / dynamic / FQS
histograms per forgery method for one epoch, and the curriculum timeline
(hard/easy split and mean FQS per epoch).

    python tools/analysis/plot_quality.py work_dirs/qc_demo [--epoch N] \
        --out-dir work_dirs/qc_demo/plots

The static axis names what the scores measure (e.g. "SSIM similarity",
"ArcFace identity similarity"): the evaluator recorded in the training
annotation's metainfo by tools/quality/score_static.py, found through the
config dumped into the work dir (or ``--ann-file``). Matplotlib and qcdet
load after the arguments, so ``--help`` answers at once.
"""
import argparse
import os.path as osp


def parse_args():
    parser = argparse.ArgumentParser(
        description='Plot the quality scores of a quality-centric run: '
        'histograms per forgery method and the curriculum timeline.')
    parser.add_argument('work_dir', help='work dir with quality/epoch_N.json')
    parser.add_argument('--epoch', type=int,
                        help='epoch of the histograms (default: the last)')
    parser.add_argument('--bins', type=int, default=20,
                        help='histogram bins (default: %(default)s)')
    parser.add_argument('--ann-file',
                        help='the scored training annotation, whose metainfo '
                        'names the static backend (default: the one of the '
                        'config in WORK_DIR)')
    parser.add_argument('--out-dir', help='default: WORK_DIR/plots')
    return parser.parse_args()


def main():
    args = parse_args()
    from qcdet.visualization import (
        annotation_static_evaluator,
        load_quality_files,
        plot_curriculum_timeline,
        plot_quality_histograms,
        run_static_evaluator,
        save_figure,
        static_score_label,
    )
    files = load_quality_files(args.work_dir)
    epoch = args.epoch if args.epoch is not None else list(files)[-1]
    if epoch not in files:
        raise SystemExit(f'no quality file for epoch {epoch} in '
                         f'{args.work_dir}; epochs: {list(files)}')
    evaluator = annotation_static_evaluator(args.ann_file) if args.ann_file \
        else run_static_evaluator(args.work_dir)
    static_label = static_score_label(evaluator)
    out_dir = args.out_dir or osp.join(args.work_dir, 'plots')
    fig, data = plot_quality_histograms(files[epoch], bins=args.bins,
                                        static_label=static_label)
    hist_path = save_figure(fig,
                            osp.join(out_dir, f'quality_epoch_{epoch}.png'))
    fig, timeline = plot_curriculum_timeline(files)
    timeline_path = save_figure(fig,
                                osp.join(out_dir, 'curriculum_timeline.png'))
    print(f'static scores: {static_label}')
    print(f'epoch {epoch}: ' + ', '.join(
        f'{method} {d["count"]} fakes' for method, d in data.items()))
    for e, hard, frac, fqs in zip(timeline['epochs'], timeline['num_hard'],
                                  timeline['hard_fraction'],
                                  timeline['mean_fqs']):
        print(f'epoch {e}: {hard} hard ({frac:.3f}), mean FQS {fqs:.4f}')
    print(f'written: {hist_path} {timeline_path}')


if __name__ == '__main__':
    main()
