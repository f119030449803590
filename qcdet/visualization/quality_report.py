"""Dataset quality audit of an annotation file with ``static_quality``
(``tools/quality/score_static.py``): per-method distributions, the least
and most realistic fakes next to their pairs, and fakes without pairs."""
import os.path as osp
import re
from collections import Counter, OrderedDict
from typing import Sequence

import cv2
import numpy as np

from qcdet.datasets.transforms.loading import read_image

from .figure import new_figure

__all__ = [
    'summarize_quality', 'format_quality_table', 'plot_quality_distribution',
    'extreme_fakes', 'frame_origin', 'plot_contact_sheet'
]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# FF++'s compression levels, as folder names (manipulated_sequences/
# <Method>/c23/...) and dataset-name suffixes (ffpp_c23)
_COMPRESSION = re.compile(r'^(raw|c\d+)$')
_SEQUENCES = ('manipulated_sequences', 'original_sequences')


def _stats(values: np.ndarray) -> dict:
    if not len(values):
        return dict(mean=None, std=None, min=None, max=None,
                    **{f'q{int(q * 100):02d}': None for q in QUANTILES})
    stats = dict(mean=float(values.mean()), std=float(values.std()),
                 min=float(values.min()), max=float(values.max()))
    for q in QUANTILES:
        stats[f'q{int(q * 100):02d}'] = float(np.quantile(values, q))
    return stats


def summarize_quality(records: Sequence[dict]) -> dict:
    """The audit as plain data (JSON-ready).

    ``per_method[m]``: ``count`` (fakes), ``scored`` (a measured score),
    ``fallback`` (scored with the fallback, ``static_quality_fallback``),
    ``unscored`` (no ``static_quality``), and the statistics of the measured
    scores. ``unpaired``: fakes whose ``pair_path`` is empty (``no_pair``)
    or names a missing file (``missing_pair``), per method and listed.
    """
    fakes = [r for r in records if r.get('label') == 1]
    methods = sorted({r.get('method', '?') for r in fakes})
    per_method = OrderedDict()
    for method in methods:
        mine = [r for r in fakes if r.get('method', '?') == method]
        measured = [r for r in mine if r.get('static_quality') is not None
                    and not r.get('static_quality_fallback', False)]
        values = np.array([r['static_quality'] for r in measured],
                          dtype=np.float64)
        per_method[method] = dict(
            count=len(mine),
            scored=len(measured),
            fallback=sum(1 for r in mine
                         if r.get('static_quality_fallback', False)),
            unscored=sum(1 for r in mine if r.get('static_quality') is None),
            **_stats(values))
    unpaired = dict(no_pair=[], missing_pair=[])
    for record in fakes:
        if not record.get('pair_path'):
            unpaired['no_pair'].append(record)
        elif not osp.exists(record['pair_path']):
            unpaired['missing_pair'].append(record)
    unpaired_summary = OrderedDict()
    for reason, rows in unpaired.items():
        unpaired_summary[reason] = dict(
            count=len(rows),
            per_method=dict(Counter(r.get('method', '?') for r in rows)),
            fakes=[dict(index=r['index'], img_path=r['img_path'],
                        method=r.get('method'),
                        pair_path=r.get('pair_path')) for r in rows])
    return dict(num_records=len(records), num_fakes=len(fakes),
                num_reals=sum(1 for r in records if r.get('label') == 0),
                per_method=per_method, unpaired=unpaired_summary)


def format_quality_table(summary: dict) -> str:
    """A markdown table of the per-method statistics plus the unpaired
    counts."""
    columns = ['count', 'scored', 'fallback', 'unscored', 'mean', 'std',
               'min'] + [f'q{int(q * 100):02d}' for q in QUANTILES] + ['max']
    lines = ['| method | ' + ' | '.join(columns) + ' |',
             '|---|' + '---:|' * len(columns)]
    for method, stats in summary['per_method'].items():
        cells = []
        for column in columns:
            value = stats[column]
            cells.append('-' if value is None else (
                f'{value:.4f}' if isinstance(value, float) else str(value)))
        lines.append(f'| {method} | ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append(f'{summary["num_fakes"]} fakes, {summary["num_reals"]} '
                 'reals.')
    for reason, info in summary['unpaired'].items():
        label = ('without pair_path' if reason == 'no_pair' else
                 'whose pair file is missing')
        per_method = ', '.join(f'{m}: {n}' for m, n in
                               sorted(info['per_method'].items())) or '-'
        lines.append(f'Fakes {label}: {info["count"]} ({per_method}).')
    return '\n'.join(lines) + '\n'


def _measured_by_method(records: Sequence[dict]) -> dict:
    values = OrderedDict()
    for record in records:
        if (record.get('label') == 1
                and record.get('static_quality') is not None
                and not record.get('static_quality_fallback', False)):
            values.setdefault(record.get('method', '?'),
                              []).append(float(record['static_quality']))
    return OrderedDict(sorted(values.items()))


def plot_quality_distribution(records: Sequence[dict], bins: int = 20):
    """Box plot and histograms of the measured static scores per method.
    Returns ``(figure, {method: values})``."""
    values = _measured_by_method(records)
    if not values:
        raise ValueError('no fake has a measured static_quality; score the '
                         'file with tools/quality/score_static.py first')
    fig = new_figure(12, 4.5)
    box, hist = fig.subplots(1, 2)
    names = list(values)
    box.boxplot([values[m] for m in names], orientation='horizontal')
    box.set_yticks(range(1, len(names) + 1), names)
    box.set(xlabel='static quality (higher = more realistic)',
            title='Static quality per method')
    box.grid(alpha=0.3)
    every = np.concatenate([np.array(v) for v in values.values()])
    low, high = float(every.min()), float(every.max())
    edges = np.linspace(low, high if high > low else low + 1, bins + 1)
    for i, method in enumerate(names):
        hist.hist(values[method], bins=edges, histtype='step',
                  linewidth=1.5, color=f'C{i % 10}',
                  label=f'{method} (n={len(values[method])})')
    hist.set(xlabel='static quality', ylabel='number of fakes',
             title='Histogram per method')
    hist.grid(alpha=0.3)
    hist.legend(fontsize='small')
    return fig, values


def extreme_fakes(records: Sequence[dict], num: int = 8) -> dict:
    """The ``num`` lowest- and highest-scored fakes with a measured score
    and a pair (``{'lowest': [...], 'highest': [...]}``, lowest first /
    highest first)."""
    scored = [r for r in records
              if r.get('label') == 1 and r.get('pair_path')
              and r.get('static_quality') is not None
              and not r.get('static_quality_fallback', False)]
    scored.sort(key=lambda r: (float(r['static_quality']), r['index']))
    num = min(num, len(scored) // 2) if len(scored) > 1 else len(scored)
    return dict(lowest=scored[:num], highest=scored[::-1][:num])


def _pair_image(record: dict, cell: int) -> np.ndarray:
    """Fake | pair, each resized to ``cell`` pixels, RGB."""
    tiles = []
    for key in ('img_path', 'pair_path'):
        try:
            img = read_image(record[key])
        except (FileNotFoundError, ValueError):
            img = np.full((cell, cell, 3), 128, np.uint8)  # shown grey
        tiles.append(cv2.resize(img, (cell, cell),
                                interpolation=cv2.INTER_AREA))
    return cv2.cvtColor(np.concatenate(tiles, axis=1), cv2.COLOR_BGR2RGB)


def frame_origin(record: dict) -> dict:
    """``video``, ``method`` and ``compression`` (None where unknown) of a
    frame: from the record's ``video_id`` (``<dataset>/<method>/<video>``),
    ``method`` and ``dataset`` (``ffpp_c23``), else from an FF++ path
    (``manipulated_sequences/<Method>/<c23>/.../<video>/<frame>``,
    ``original_sequences/youtube/<c23>/...``), else the frame's folder."""
    parts = record['img_path'].replace('\\', '/').split('/')
    video = (record.get('video_id') or '').rsplit('/', 1)[-1] or \
        (parts[-2] if len(parts) > 1 else None)
    method, compression = record.get('method'), None
    starts = [i for i, part in enumerate(parts[:-3]) if part in _SEQUENCES]
    if starts:
        where = starts[-1]
        method = method or ('real' if parts[where] == 'original_sequences'
                            else parts[where + 1])
        if _COMPRESSION.match(parts[where + 2]):
            compression = parts[where + 2]
    suffix = str(record.get('dataset') or '').rsplit('_', 1)[-1]
    if compression is None and _COMPRESSION.match(suffix):
        compression = suffix
    return dict(video=video, method=method, compression=compression)


def _caption(record: dict) -> str:
    """``Deepfakes c23 · 519_515 frame 000`` (what is known of it)."""
    origin = frame_origin(record)
    source = ' '.join(v for v in (origin['method'] or '?',
                                  origin['compression']) if v)
    frame = osp.splitext(osp.basename(record['img_path']))[0]
    return f'{source} · {origin["video"] or "?"} frame {frame}'


def plot_contact_sheet(extremes: dict, cell: int = 128, columns: int = 4):
    """Two blocks (lowest, highest), each fake shown next to its pair with
    its score, method, compression and video (:func:`frame_origin`).
    Returns ``(figure, extremes)``."""
    blocks = [(name, rows) for name, rows in extremes.items() if rows]
    if not blocks:
        raise ValueError('no scored, paired fake to show')
    row_count = sum(int(np.ceil(len(r) / columns)) for _, r in blocks)
    fig = new_figure(3.2 * columns, 2.0 * row_count + 0.8)
    grid = fig.subplots(row_count, columns, squeeze=False)
    for ax in grid.flat:
        ax.axis('off')
    row = 0
    for name, records in blocks:
        for i, record in enumerate(records):
            ax = grid[row + i // columns, i % columns]
            ax.imshow(_pair_image(record, cell))
            ax.set_title(f'{name} #{i + 1}: q={record["static_quality"]:.3f}'
                         f'\n{_caption(record)}', fontsize='x-small')
        row += int(np.ceil(len(records) / columns))
    fig.suptitle('Lowest and highest static quality (left: fake, right: its '
                 'real pair)')
    return fig, extremes

