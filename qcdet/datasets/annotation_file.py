"""qcdet's annotation files (docs/contracts.md): reading and checking one,
and where its relative paths point. Datasets, the offline jobs and the
analysis tools all read them through here."""
import json
from pathlib import Path

__all__ = ['AnnotationError', 'load_annotation', 'resolve_data_root',
           'join_data_root']


class AnnotationError(ValueError):
    """A malformed annotation file; the message names the file and record."""


def load_annotation(ann_file) -> dict:
    """A qcdet (MMEngine-format) annotation file, checked: a ``data_list``
    whose records all have ``img_path`` and a 0/1 ``label``. Raises
    :class:`AnnotationError` naming the file (and record)."""
    try:
        with open(ann_file) as f:
            annotation = json.load(f)
    except json.JSONDecodeError as e:
        raise AnnotationError(f'Cannot parse annotation file {ann_file}: '
                              f'{e}') from e
    if not isinstance(annotation, dict) or not isinstance(
            annotation.get('data_list'), list):
        raise AnnotationError(
            f'{ann_file}: not an MMEngine annotation file (expected a dict '
            'with a "data_list" list)')
    for index, record in enumerate(annotation['data_list']):
        for key in ('img_path', 'label'):
            if key not in record:
                raise AnnotationError(
                    f'{ann_file}: record {index} has no {key!r}')
        if isinstance(record['label'], bool) or record['label'] not in (0, 1):
            raise AnnotationError(f'{ann_file}: record {index} has label '
                                  f'{record["label"]!r}, expected 0 or 1')
    return annotation


def resolve_data_root(ann_file, data_root=None):
    """Root that relative ``img_path``/``pair_path`` are joined with: the
    given one, else the annotation file's folder, or its parent when that
    folder is called ``annotations`` (``data/demo/annotations/train.json``
    -> ``data/demo``)."""
    if data_root is not None:
        return Path(data_root)
    folder = Path(ann_file).resolve().parent
    return folder.parent if folder.name == 'annotations' else folder


def join_data_root(root, path):
    """``path`` below ``root`` unless it is absolute."""
    path = Path(path)
    return str(path if path.is_absolute() else root / path)
