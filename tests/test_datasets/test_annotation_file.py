"""One annotation module: every reader of an annotation file (the training
dataset, static scoring, the analysis tools, the DeepfakeBench import) gets
the same error for the same malformed file."""
import json

import pytest

from qcdet.datasets import DeepfakeDataset
from qcdet.datasets.annotation_file import (
    AnnotationError,
    check_record,
    load_annotation,
    read_annotation_file,
)
from qcdet.offline.static_quality import score_annotation
from qcdet.visualization import load_annotation_records

GOOD = [dict(img_path='real.png', label=0),
        dict(img_path='fake.png', label=1, pair_path='real.png')]


def write(path, content, raw=False):
    path.write_text(content if raw else json.dumps(content))
    return path


def test_a_good_file_loads_with_its_metainfo(tmp_path):
    ann = write(tmp_path / 'a.json', dict(metainfo=dict(dataset='toy'),
                                          data_list=GOOD))
    annotation = load_annotation(ann)
    assert annotation['metainfo'] == dict(dataset='toy')
    assert annotation['data_list'] == GOOD


def test_yaml_is_read_as_mmengine_reads_it(tmp_path):
    ann = write(tmp_path / 'a.yaml', 'data_list:\n- {img_path: a.png, '
                'label: 1}\n', raw=True)
    assert load_annotation(ann)['data_list'] == [dict(img_path='a.png',
                                                      label=1)]


@pytest.mark.parametrize('record, match', [
    ('not a dict', 'record 3: expected a dict, got str'),
    (dict(label=0), r"record 3: missing key\(s\) \['img_path'\]"),
    (dict(img_path='x.png'), r"record 3: missing key\(s\) \['label'\]"),
    (dict(img_path='x.png', label=2), 'record 3: label must be 0'),
    (dict(img_path='x.png', label=True), 'label must be 0 .* got True'),
    (dict(img_path='x.png', label='1'), "label must be 0 .* got '1'"),
])
def test_bad_records_are_named(record, match):
    with pytest.raises(AnnotationError, match=match):
        check_record(record, 'a.json, record 3')


@pytest.mark.parametrize('content, match', [
    ('{"data_list": [', 'Cannot parse annotation file'),
    ('[1, 2]', 'not a qcdet annotation file|neither'),
    ('{"data_list": {}}', '"data_list" must be a list'),
    ('{"metainfo": [], "data_list": [{"img_path": "a", "label": 0}]}',
     '"metainfo" must be a dict'),
    ('{"data_list": []}', 'has no records: its data_list is empty'),
    ('{"data_list": [{"img_path": "a", "label": 0}, {"label": 1}]}',
     r"record 1: missing key\(s\) \['img_path'\]"),
])
@pytest.mark.parametrize('reader', ['load_annotation', 'DeepfakeDataset',
                                    'score_annotation',
                                    'load_annotation_records'])
def test_every_reader_gives_the_same_error(tmp_path, content, match,
                                           reader):
    ann = write(tmp_path / 'bad.json', content, raw=True)
    read = dict(
        load_annotation=load_annotation,
        DeepfakeDataset=lambda f: DeepfakeDataset(str(f), pipeline=[]),
        score_annotation=lambda f: score_annotation(
            str(f), str(tmp_path / 'out.json'),
            dict(type='SSIMSimilarityEvaluator'), progress=False),
        load_annotation_records=lambda f: load_annotation_records(str(f)),
    )[reader]
    with pytest.raises(AnnotationError, match=match) as error:
        read(ann)
    assert str(ann) in str(error.value)
    assert not (tmp_path / 'out.json').exists()


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / 'missing.json'
    with pytest.raises(FileNotFoundError,
                       match=f'Annotation file not found: {missing}'):
        read_annotation_file(missing)
    with pytest.raises(FileNotFoundError, match='Annotation file not found'):
        DeepfakeDataset(str(missing))
    with pytest.raises(FileNotFoundError, match='Annotation file not found'):
        load_annotation_records(str(missing))

