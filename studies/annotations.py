"""Annotation files the studies write: the shared FF++ sample cropped and
pooled, and the splits cut from it."""
import json
import os
import os.path as osp

from qcdet.offline.face_crops import build_layout, preprocess_dataset


def write_annotation(path, records, metainfo):
    """An annotation file of ``records``; its metainfo lists their
    methods."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    methods = sorted({r['method'] for r in records})
    with open(path, 'w') as f:
        json.dump(dict(metainfo=dict(metainfo, methods=methods),
                       data_list=records), f)


def crop_ffpp(shared: str, root: str, num_frames: int, size: int) -> str:
    """Crops the FF++ sample clips into ``root`` once
    (tools/data/preprocess.py's pipeline) and pools the official splits into
    ``annotations/all.json`` (the sample is too small to split by video);
    returns it."""
    pooled = osp.join(root, 'annotations', 'all.json')
    if osp.exists(pooled):
        return pooled
    layout = build_layout(
        'ffpp', osp.join(shared, 'icpr2020dfdc', 'ffpp'),
        splits_dir=osp.join(shared, 'faceforensics-examples', 'splits'))
    preprocess_dataset(layout, root, num_frames=num_frames, size=size,
                       progress=False)
    records, metainfo = [], None
    for split in ('train', 'val', 'test'):
        path = osp.join(root, 'annotations', f'{split}.json')
        if osp.exists(path):
            with open(path) as f:
                ann = json.load(f)
            records += ann['data_list']
            metainfo = ann['metainfo']
    write_annotation(pooled, records, metainfo)
    return pooled
