"""Training curves from MMEngine's scalar logs
(``work_dir/<timestamp>/vis_data/scalars.json``: one JSON object per line;
training lines carry ``epoch`` and ``iter``, validation lines carry the
metrics and ``step`` = epoch)."""
import json
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from .figure import integer_ticks, new_figure

__all__ = ['find_scalar_logs', 'load_training_log', 'plot_training_curves']

TRAIN_KEYS = ('loss', 'acc')


def find_scalar_logs(work_dir: str) -> List[Path]:
    """Every run's ``vis_data/scalars.json`` under ``work_dir``, oldest run
    first (run folders are timestamps, so names sort by time)."""
    logs = sorted(Path(work_dir).glob('*/vis_data/scalars.json'),
                  key=lambda p: p.parent.parent.name)
    if not logs:
        raise FileNotFoundError(
            f'no */vis_data/scalars.json under {work_dir}; is it an MMEngine '
            'work dir with LocalVisBackend?')
    return logs


def load_training_log(log_files: Sequence[str],
                      val_keys: Sequence[str] = ('frame_auc', )) -> dict:
    """Per-epoch means of the training ``loss``/``acc`` and the validation
    metrics. A later file (a resumed run) replaces an earlier one's epochs;
    metrics of a file without training lines (a test run) are ignored.
    Returns ``{'train': {epoch: {key: mean}}, 'val': {epoch: {key: v}}}``.
    """
    train_lines: Dict[int, Dict[int, dict]] = {}  # epoch -> iter -> line
    val: Dict[int, dict] = {}
    for path in log_files:
        file_val = {}
        trained = False
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{path}:{number}: not JSON ({err})')
                if 'epoch' in entry and 'iter' in entry:
                    trained = True
                    train_lines.setdefault(int(entry['epoch']),
                                           {})[int(entry['iter'])] = entry
                elif any(k in entry for k in val_keys):
                    file_val[int(entry['step'])] = {
                        k: float(entry[k]) for k in val_keys if k in entry}
        if trained:  # a tools/test.py run in the same work dir is no epoch
            val.update(file_val)
    train = OrderedDict()
    for epoch in sorted(train_lines):
        lines = train_lines[epoch].values()
        train[epoch] = {
            key: float(np.mean([line[key] for line in lines if key in line]))
            for key in TRAIN_KEYS if any(key in line for line in lines)}
    return dict(train=train, val=OrderedDict(sorted(val.items())))


def plot_training_curves(log: dict, title: str = 'Training curves'):
    """Loss, accuracy and validation metrics per epoch. Returns
    ``(figure, log)``."""
    panels = [('loss', 'train', 'training loss (epoch mean)'),
              ('acc', 'train', 'training accuracy (epoch mean)')]
    val_keys = sorted({k for v in log['val'].values() for k in v})
    panels += [(key, 'val', f'validation {key}') for key in val_keys]
    fig = new_figure(4.5 * len(panels), 4)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (key, split, label) in zip(axes, panels):
        epochs = [e for e, v in log[split].items() if key in v]
        values = [log[split][e][key] for e in epochs]
        ax.plot(epochs, values, marker='o', color='C0' if split == 'train'
                else 'C1', label=f'{split} {key}')
        ax.set(xlabel='epoch', ylabel=key, title=label)
        integer_ticks(ax.xaxis)
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    fig.suptitle(title)
    return fig, log
