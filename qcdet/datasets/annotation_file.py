"""qcdet's annotation files (docs/contracts.md): reading one, checking it
and its records, and where its relative paths point. The training dataset,
the offline jobs and the analysis tools all read them through here, so a
malformed file gets the same error wherever it is read."""
import os.path as osp
from pathlib import Path

from mmengine.fileio import load

__all__ = ['AnnotationError', 'read_annotation_file', 'check_record',
           'check_annotation', 'load_annotation', 'resolve_data_root',
           'join_data_root']

QCDET_FORMAT = '{"metainfo": {...}, "data_list": [...]}'


class AnnotationError(ValueError):
    """A malformed annotation file; the message names the file and record."""


def read_annotation_file(ann_file):
    """The parsed contents of ``ann_file`` (JSON, or YAML/pickle by suffix
    as MMEngine reads them), unchecked: a qcdet annotation or a
    DeepfakeBench index. Raises ``FileNotFoundError`` or
    :class:`AnnotationError` naming the file."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'Annotation file not found: {ann_file}')
    try:
        return load(str(ann_file))
    except Exception as e:
        raise AnnotationError(
            f'Cannot parse annotation file {ann_file}: {e}') from e


def check_record(record, where: str) -> None:
    """One record: a dict with ``img_path`` and a 0/1 ``label`` (an int, not
    a bool or a string). ``where`` names the file and record."""
    if not isinstance(record, dict):
        raise AnnotationError(
            f'{where}: expected a dict, got {type(record).__name__}')
    missing = [key for key in ('img_path', 'label') if key not in record]
    if missing:
        raise AnnotationError(f'{where}: missing key(s) {missing}')
    label = record['label']
    if isinstance(label, bool) or label not in (0, 1):
        raise AnnotationError(
            f'{where}: label must be 0 (real) or 1 (fake), got {label!r}')


def check_annotation(raw, ann_file) -> dict:
    """``raw`` (from :func:`read_annotation_file`) as a qcdet annotation:
    a dict with a ``metainfo`` dict (optional) and a non-empty
    ``data_list`` of valid records."""
    if not isinstance(raw, dict) or 'data_list' not in raw:
        raise AnnotationError(
            f'{ann_file} is not a qcdet annotation file ({QCDET_FORMAT})')
    if not isinstance(raw.get('metainfo', {}), dict):
        raise AnnotationError(f'{ann_file}: "metainfo" must be a dict')
    records = raw['data_list']
    if not isinstance(records, list):
        raise AnnotationError(f'{ann_file}: "data_list" must be a list')
    if not records:
        raise AnnotationError(
            f'{ann_file} has no records: its data_list is empty '
            '(e.g. a split preprocessing found no video for)')
    for index, record in enumerate(records):
        check_record(record, f'{ann_file}, record {index}')
    return raw


def load_annotation(ann_file) -> dict:
    """A qcdet annotation file, read and checked (see
    :func:`check_annotation`)."""
    return check_annotation(read_annotation_file(ann_file), ann_file)


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
