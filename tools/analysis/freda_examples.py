"""A FreDA example grid for a few fakes of an annotation file: fake, real,
mixed and their log-magnitude spectra.

    python tools/analysis/freda_examples.py data/demo/annotations/train.json \
        --num 4 --radius 0.1 --out freda.png

Matplotlib and qcdet load after the arguments, so ``--help`` answers at once.
"""
import argparse


def parse_args():
    parser = argparse.ArgumentParser(
        description='Draw a FreDA example grid for a few fakes of an '
        'annotation file: fake, real, mixed and their spectra.')
    parser.add_argument('ann_file', help='annotation file with pair_path')
    parser.add_argument('--data-root', help='default: as score_static.py')
    parser.add_argument('--num', type=int, default=4, help='number of fakes')
    parser.add_argument('--radius', type=float, default=0.1,
                        help='mask radius relative to Nyquist')
    parser.add_argument('--shape', choices=['circle', 'square'],
                        default='circle',
                        help='shape of the low-frequency mask')
    parser.add_argument('--out', default='freda_examples.png',
                        help='output PNG (default: %(default)s)')
    return parser.parse_args()


def main():
    args = parse_args()
    from qcdet.visualization import (
        load_annotation_records,
        pick_paired_fakes,
        plot_freda_examples,
        save_figure,
    )
    records = load_annotation_records(args.ann_file, args.data_root)
    picked = pick_paired_fakes(records, args.num)
    if not picked:
        raise SystemExit(f'{args.ann_file} has no fake with a pair_path')
    fig, _ = plot_freda_examples(picked, args.radius, args.shape)
    save_figure(fig, args.out)
    print(f'{len(picked)} fakes ({", ".join(r["img_path"] for r in picked)})'
          f'\nwritten: {args.out}')


if __name__ == '__main__':
    main()
