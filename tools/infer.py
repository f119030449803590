"""Score images and videos with a trained detector.

``python tools/infer.py CONFIG CHECKPOINT INPUT... [--out results.json]
[--show-dir DIR] [--num-frames 32] [--detector cascade|dlib|retinaface]
[--aggregation mean|max] [--threshold 0.5] [--crop-size N] [--device cpu]``

INPUT is an image, a video or a folder of them (searched recursively). One
JSON record per input (see docs/testing_and_inference.md); inputs without a
face or that cannot be read get a record with ``score: null`` and a
``reason``; the exit status is 1 when no input could be scored.
"""
import json
import os.path as osp
from pathlib import Path

from qcdet.utils.cli import (
    add_inference_arguments,
    check_checkpoint,
    check_config,
    fail,
    inferencer_options,
    model_tool_parser,
)


def parse_args():
    parser = model_tool_parser(
        'Score images and videos with a deepfake detector: one '
        'JSON record per input.')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='image, video or folder of them')
    parser.add_argument('--out', help='write the records to this JSON file '
                        '(default: print them)')
    parser.add_argument('--show-dir',
                        help='write annotated copies (box + score) here')
    add_inference_arguments(parser)
    return parser.parse_args()


def input_items(inputs):
    """``(path, output stem)`` per input file: folders keep their inner
    layout, single files their name."""
    from qcdet.apis import list_media
    items = []
    for item in map(Path, inputs):
        if item.is_dir():
            items += [(p, p.relative_to(item).with_suffix(''))
                      for p in list_media([item])]
        else:
            items.append((item, Path(item.stem)))
    return items


def unique_stem(show_dir: Path, stem: Path, used: set, source: Path) -> Path:
    """An output stem not used before and not overwriting ``source``."""
    def taken(out):
        return out in used or any(
            out.with_suffix(ext).resolve() == source.resolve()
            for ext in ('.png', '.mp4'))

    out, n = show_dir / stem, 1
    while taken(out):
        n += 1
        out = show_dir / f'{stem}_{n}'
    used.add(out)
    return out


def main():
    args = parse_args()
    check_config(args.config)
    check_checkpoint(args.checkpoint)
    missing = [p for p in args.inputs if not osp.exists(p)]
    if missing:
        fail(f'input not found: {", ".join(missing)}')
    from qcdet.apis import DeepfakeInferencer, MediaAnnotator, media_kind
    inferencer = DeepfakeInferencer(args.config, args.checkpoint,
                                    **inferencer_options(args))
    items = input_items(args.inputs)
    if not items:
        fail(f'no images or videos found in {args.inputs}')
    show_dir = Path(args.show_dir) if args.show_dir else None
    used = set()

    from tqdm import tqdm  # bar only on a terminal (disable=None)
    records = []
    for path, stem in tqdm(items, desc='inputs', unit='file', disable=None
                           if len(items) > 1 else True):
        annotator = None
        if show_dir is not None:
            annotator = MediaAnnotator(
                unique_stem(show_dir, stem, used, path),
                media_kind(path) or 'image', threshold=args.threshold)
        record = inferencer(
            path, on_frame=annotator.on_frame if annotator else None,
            progress=None)
        if annotator is not None:
            annotator.close()
            record['annotated'] = annotator.paths
        records.append(record)
        score = 'null' if record['score'] is None else \
            f'{record["score"]:.4f}'
        tqdm.write(f'{path}: {record["label"] or "-"} score={score} '
                   f'faces={record["faces_found"]}/{record["frames_used"]}'
                   + (f' ({record["reason"]})' if record['reason'] else ''))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(records, f, indent=2)
        print(f'{len(records)} record(s) written to {args.out}')
    else:
        print(json.dumps(records, indent=2))
    if not any(r['score'] is not None for r in records):
        fail(f'none of the {len(records)} input(s) could be scored (see '
             'each record\'s reason)')


if __name__ == '__main__':
    main()
