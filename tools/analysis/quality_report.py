"""Dataset quality audit of an annotation file with ``static_quality``:
per-method distribution (PNG, JSON, markdown), a contact sheet of the
lowest- and highest-quality fakes next to their pairs, and the fakes
without pairs.

    python tools/analysis/quality_report.py \
        data/demo/annotations/train_static.json --out-dir quality_report

Each fake on the contact sheet is captioned with its score, method,
compression (c23, ...) and video. Matplotlib and qcdet load after the
arguments, so ``--help`` answers at once.
"""
import argparse
import json
import os
import os.path as osp


def parse_args():
    parser = argparse.ArgumentParser(
        description='Audit the static quality of an annotation file: '
        'distributions per method, a contact sheet of the extremes, the '
        'fakes without pairs.')
    parser.add_argument('ann_file', help='annotation file with static_quality')
    parser.add_argument('--data-root', help='default: as score_static.py')
    parser.add_argument('--num-extremes', type=int, default=8,
                        help='lowest and highest fakes on the contact sheet')
    parser.add_argument('--out-dir', default='quality_report',
                        help='output folder (default: %(default)s)')
    return parser.parse_args()


def main():
    args = parse_args()
    from qcdet import visualization as vis
    records = vis.load_annotation_records(args.ann_file, args.data_root)
    summary = vis.summarize_quality(records)
    os.makedirs(args.out_dir, exist_ok=True)
    fig, _ = vis.plot_quality_distribution(records)
    vis.save_figure(fig, osp.join(args.out_dir, 'distribution.png'))
    extremes = vis.extreme_fakes(records, args.num_extremes)
    fig, _ = vis.plot_contact_sheet(extremes)
    vis.save_figure(fig, osp.join(args.out_dir, 'extremes.png'))
    summary['ann_file'] = osp.abspath(args.ann_file)
    summary['extremes'] = {
        name: [dict(index=r['index'], img_path=r['img_path'],
                    pair_path=r['pair_path'], method=r.get('method'),
                    static_quality=r['static_quality']) for r in rows]
        for name, rows in extremes.items()}
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    table = vis.format_quality_table(summary)
    with open(osp.join(args.out_dir, 'summary.md'), 'w') as f:
        f.write(f'# Static quality of {args.ann_file}\n\n{table}')
    print(table)
    print(f'written to {args.out_dir}: distribution.png extremes.png '
          'summary.json summary.md')


if __name__ == '__main__':
    main()
