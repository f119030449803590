"""The static-quality audit: distributions, extremes and unpaired fakes."""
import json

import cv2
import numpy as np
import pytest

from qcdet.visualization import (
    extreme_fakes,
    format_quality_table,
    load_annotation_records,
    plot_contact_sheet,
    plot_quality_distribution,
    save_figure,
    summarize_quality,
)


@pytest.fixture
def ann_file(tmp_path):
    root = tmp_path / 'data'
    (root / 'annotations').mkdir(parents=True)
    img = np.full((16, 16, 3), 100, np.uint8)
    cv2.imwrite(str(root / 'real.png'), img)
    data = [dict(img_path='real.png', label=0, method='real')]
    scores = {'swap': [0.9, 0.5, 0.7, 0.1], 'reenact': [0.3, 0.8]}
    for method, values in scores.items():
        for i, q in enumerate(values):
            name = f'{method}{i}.png'
            cv2.imwrite(str(root / name), img + i)
            data.append(dict(img_path=name, label=1, method=method,
                             pair_path='real.png', static_quality=q,
                             static_quality_fallback=False))
    data.append(dict(img_path='swap_nopair.png', label=1, method='swap',
                     pair_path=None, static_quality=0.7,
                     static_quality_fallback=True))
    data.append(dict(img_path='reenact_gone.png', label=1, method='reenact',
                     pair_path='gone.png', static_quality=None))
    path = root / 'annotations' / 'train_static.json'
    path.write_text(json.dumps(dict(metainfo={}, data_list=data)))
    return path


def test_summary_counts_and_statistics(ann_file):
    records = load_annotation_records(str(ann_file))
    assert records[1]['img_path'] == str(ann_file.parents[1] / 'swap0.png')
    summary = summarize_quality(records)
    swap, reenact = (summary['per_method'][m] for m in ('swap', 'reenact'))
    assert (swap['count'], swap['scored'], swap['fallback'],
            swap['unscored']) == (5, 4, 1, 0)
    assert (reenact['count'], reenact['scored'], reenact['unscored']) == \
        (3, 2, 1)
    # fallback scores stay out of the statistics
    assert swap['mean'] == pytest.approx(np.mean([0.9, 0.5, 0.7, 0.1]))
    assert swap['q50'] == pytest.approx(0.6)
    assert swap['min'] == 0.1 and swap['max'] == 0.9
    assert summary['unpaired']['no_pair']['count'] == 1
    assert summary['unpaired']['no_pair']['per_method'] == {'swap': 1}
    assert summary['unpaired']['missing_pair']['fakes'][0][
        'img_path'].endswith('reenact_gone.png')
    table = format_quality_table(summary)
    assert '| swap | 5 | 4 | 1 | 0 | 0.5500 |' in table
    assert 'Fakes without pair_path: 1 (swap: 1).' in table


def test_extremes_and_figures(ann_file, tmp_path):
    records = load_annotation_records(str(ann_file))
    extremes = extreme_fakes(records, num=2)
    assert [r['static_quality'] for r in extremes['lowest']] == [0.1, 0.3]
    assert [r['static_quality'] for r in extremes['highest']] == [0.9, 0.8]
    fig, _ = plot_contact_sheet(extremes, cell=32, columns=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith('lowest #1: q=0.100')
    save_figure(fig, str(tmp_path / 'sheet.png'))
    fig, values = plot_quality_distribution(records)
    assert values == {'reenact': [0.3, 0.8], 'swap': [0.9, 0.5, 0.7, 0.1]}
    save_figure(fig, str(tmp_path / 'dist.png'))
    for name in ('sheet.png', 'dist.png'):
        assert (tmp_path / name).stat().st_size > 10_000
