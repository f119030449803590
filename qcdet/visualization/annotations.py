"""Reading an annotation file for the analysis tools: its records with
``img_path``/``pair_path`` joined with the data root."""
import json
import os.path as osp
from typing import List, Optional

from qcdet.quality.static_scoring import resolve_data_root

__all__ = ['load_annotation_records']


def _join(root: str, path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    return path if osp.isabs(path) else osp.join(root, path)


def load_annotation_records(ann_file: str,
                            data_root: Optional[str] = None) -> List[dict]:
    """Copies of the records, with ``index`` (position in ``data_list``)
    and absolute ``img_path``/``pair_path``. The data root defaults as in
    ``tools/quality/score_static.py`` (the annotation's folder, or its
    parent when that is called ``annotations``)."""
    with open(ann_file) as f:
        annotation = json.load(f)
    if not isinstance(annotation, dict) or not isinstance(
            annotation.get('data_list'), list):
        raise ValueError(f'{ann_file} is not a qcdet annotation file '
                         '(expected a dict with a "data_list" list)')
    root = str(resolve_data_root(ann_file, data_root))
    records = []
    for index, record in enumerate(annotation['data_list']):
        for key in ('img_path', 'label'):
            if key not in record:
                raise KeyError(f'{ann_file}: record {index} has no "{key}"')
        record = dict(record, index=index)
        record['img_path'] = _join(root, record['img_path'])
        record['pair_path'] = _join(root, record.get('pair_path'))
        records.append(record)
    return records
