"""Reading an annotation file for the analysis tools: its records with
``img_path``/``pair_path`` joined with the data root."""
from typing import List, Optional

from qcdet.datasets.annotation_file import (
    join_data_root,
    load_annotation,
    resolve_data_root,
)

__all__ = ['load_annotation_records']


def load_annotation_records(ann_file: str,
                            data_root: Optional[str] = None) -> List[dict]:
    """Copies of the records, with ``index`` (position in ``data_list``)
    and absolute ``img_path``/``pair_path``. The data root defaults as in
    ``tools/quality/score_static.py`` (the annotation's folder, or its
    parent when that is called ``annotations``)."""
    annotation = load_annotation(ann_file)
    root = resolve_data_root(ann_file, data_root)
    records = []
    for index, record in enumerate(annotation['data_list']):
        record = dict(record, index=index)
        record['img_path'] = join_data_root(root, record['img_path'])
        pair = record.get('pair_path')
        record['pair_path'] = join_data_root(root, pair) if pair else None
        records.append(record)
    return records
