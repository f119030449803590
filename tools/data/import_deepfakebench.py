"""DeepfakeBench JSON index + frames folder -> qcdet annotation files.

One file per split; FF++ fakes are paired with their original's frame of the
same name (``<target>_<source>`` -> ``<target>``).

Example::

    python tools/data/import_deepfakebench.py \\
        dataset_json/FaceForensics++.json \\
        --frames-root /path/to/DeepfakeBench --out data/ffpp_c23

Writes ``--out/annotations/{train,val,test}.json`` (the splits the index
has). With ``--frames-root``, frame paths become relative to ``--out`` (the
configs' ``data_root``) when the frames are inside it, else absolute; without
it they are kept as in the index.
"""
import argparse
import os
import os.path as osp
import sys

from qcdet.utils.dataset_names import SPLITS


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('index', help='DeepfakeBench JSON index')
    p.add_argument('--out', required=True,
                   help='output folder (annotations/ goes here)')
    p.add_argument('--frames-root', default=None,
                   help='folder the index frame paths are relative to')
    p.add_argument('--compression', default='c23',
                   help='FF++-style compression level (default c23)')
    p.add_argument('--datasets', nargs='+', default=None,
                   help='top-level datasets of the index (default: all)')
    p.add_argument('--check-files', action='store_true',
                   help='drop (and count) frames missing on disk; '
                   'unpair fakes whose real frame is missing')
    return p.parse_args(argv)


def _relative_to_out(path, out):
    """Relative to ``out`` (the configs' data_root) when inside it, else
    absolute."""
    path, out = osp.abspath(path), osp.abspath(out)
    if osp.commonpath([path, out]) == out:
        return osp.relpath(path, out)
    return path


def _exists(path, out):
    return osp.isfile(path if osp.isabs(path) else osp.join(out, path))


def _has_split(raw, split, names):
    return any(split in splits for name in names
               for splits in raw[name].values())


def _unpaired_reason(record):
    from qcdet.datasets.deepfakebench import FFPP_FAKE_NAME
    video = record['video_id'].rsplit('/', 1)[-1]
    if not FFPP_FAKE_NAME.match(video):
        return 'not an FF++ <target>_<source> video name'
    return 'the index has no original frame of the same name'


def convert(index_path, out, frames_root=None, compression='c23',
            datasets=None, check_files=False):
    """Write the annotation files; returns per-split counts."""
    from qcdet.datasets.annotation_file import read_annotation_file
    from qcdet.datasets.deepfakebench import (
        is_deepfakebench_index,
        parse_deepfakebench_index,
    )
    from qcdet.utils.atomic_files import write_json_atomic
    raw = read_annotation_file(index_path)
    if not is_deepfakebench_index(raw):
        raise ValueError(f'{index_path} is not a DeepfakeBench index '
                         '(dataset -> label -> split -> videos)')
    names = list(datasets) if datasets else list(raw)
    summary = {}
    for split in SPLITS:
        if not _has_split(raw, split, names):
            continue
        records = parse_deepfakebench_index(
            raw, split=split, compression=compression, dataset_names=names)
        missing = 0
        kept = []
        for rec in records:
            for key in ('img_path', 'pair_path'):
                path = rec.get(key)
                if path and frames_root and not osp.isabs(path):
                    rec[key] = _relative_to_out(osp.join(frames_root, path),
                                                out)
            if check_files and not _exists(rec['img_path'], out):
                missing += 1
                continue
            if rec['label'] == 1 and not rec.get('pair_path'):
                rec['pair_path'] = None
                rec['pair_missing_reason'] = _unpaired_reason(rec)
            elif check_files and rec['label'] == 1 and \
                    not _exists(rec['pair_path'], out):
                rec['pair_path'] = None
                rec['pair_missing_reason'] = 'the paired real frame is ' \
                    'missing on disk'
            kept.append(rec)
        fakes = [r for r in kept if r['label'] == 1]
        write_json_atomic(
            osp.join(out, 'annotations', f'{split}.json'),
            dict(metainfo=dict(dataset='+'.join(names),
                               classes=['real', 'fake']),
                 data_list=kept))
        summary[split] = dict(frames=len(kept), missing_files=missing,
                              fakes=len(fakes),
                              fakes_paired=sum(1 for r in fakes
                                               if r['pair_path']))
    if not summary:
        raise ValueError(f'{index_path}: no train/val/test split found for '
                         f'datasets {names}')
    return summary


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    summary = convert(args.index, args.out, args.frames_root,
                      args.compression, args.datasets, args.check_files)
    for split, counts in summary.items():
        print(f'{split}: ' + ', '.join(f'{k}={v}' for k, v in counts.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
