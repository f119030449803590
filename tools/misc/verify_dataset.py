"""List the frames of a dataset that cannot be read (mmpretrain's
``tools/misc/verify_dataset.py``, for qcdet's annotation files).

    python tools/misc/verify_dataset.py configs/qc_demo.py
    python tools/misc/verify_dataset.py data/ffpp_c23/annotations/test.json \
        [--data-root data/ffpp_c23] [--out-file bad_frames.txt]

A config checks the annotation files of its train, val and test loaders; an
annotation file is checked alone (its data root: the folder above
``annotations/``, else its own folder, as ``tools/test.py --datasets``).
Every ``img_path`` and ``pair_path`` (FreDA's paired real) is decoded.
Exits 1 when any frame is missing, empty or does not decode.
"""
import argparse
import os.path as osp

from qcdet.utils.cli import (
    add_cfg_options_argument,
    apply_cfg_options,
    check_config,
    fail,
)

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def parse_args():
    parser = argparse.ArgumentParser(
        description='List the missing or unreadable frames of a config\'s '
        'datasets or of one annotation file.')
    parser.add_argument('input', help='a config (.py) or an annotation file')
    parser.add_argument('--data-root', default=None,
                        help='data root of an annotation file (default: '
                        'the folder above annotations/, else its folder)')
    parser.add_argument('--out-file', default=None,
                        help='also write the unreadable frames here, one '
                        '"path<TAB>reason" per line')
    parser.add_argument('--num-threads', type=int, default=8,
                        help='frames decoded at once')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def annotation_data_root(path: str) -> str:
    folder = osp.dirname(osp.abspath(path))
    return osp.dirname(folder) if osp.basename(folder) == 'annotations' \
        else folder


def datasets_to_check(args):
    """``(name, ann_file, data_root, extra dataset args)`` to check."""
    if args.input.endswith('.py'):
        check_config(args.input)
        from mmengine.config import Config
        cfg = Config.fromfile(args.input)
        apply_cfg_options(cfg, args.cfg_options)
        found = []
        for name in LOADERS:
            dataset = (cfg.get(name) or {}).get('dataset')
            if dataset and dataset.get('ann_file'):
                extra = {k: v for k, v in dataset.items()
                         if k not in ('type', 'ann_file', 'data_root',
                                      'pipeline', 'test_mode')}
                found.append((name, dataset['ann_file'],
                              dataset.get('data_root', ''), extra))
        if not found:
            fail(f'{args.input} defines no dataset with an ann_file')
        return found
    if not osp.isfile(args.input):
        fail(f'annotation file not found: {args.input}')
    return [('annotation', args.input,
             args.data_root or annotation_data_root(args.input), {})]


def main():
    args = parse_args()
    checks = datasets_to_check(args)
    from qcdet.datasets import DeepfakeDataset, unreadable_frames
    from qcdet.datasets.annotation_file import AnnotationError
    lines, total_bad = [], 0
    for name, ann_file, data_root, extra in checks:
        try:
            dataset = DeepfakeDataset(ann_file=ann_file, data_root=data_root,
                                      pipeline=[], serialize_data=False,
                                      **extra)
        except (FileNotFoundError, AnnotationError) as e:
            fail(f'{name}: {e}')
        records = [dataset.get_data_info(i) for i in range(len(dataset))]
        bad = unreadable_frames(records, keys=('img_path', 'pair_path'),
                                num_threads=args.num_threads)
        total_bad += len(bad)
        for frame in bad:
            print(f'{frame.path}\t{frame.reason}')
            lines.append(f'{frame.path}\t{frame.reason}\n')
        paths = sum(1 for r in records for k in ('img_path', 'pair_path')
                    if r.get(k))
        print(f'{name}: {dataset.ann_file}: {len(bad)} of {paths} frame '
              f'file(s) cannot be read ({len(records)} records)')
    if args.out_file:
        with open(args.out_file, 'w') as f:
            f.writelines(lines)
        print(f'list written to {args.out_file}')
    if total_bad:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
