"""Testing one checkpoint on several test sets in one run (cross-dataset
generalisation), and the results table it produces.

A test set is named by a dataset config in ``configs/_base_/datasets``
(``celebdf_v2``; ``celebdf_v2=/data/celebdf`` to change its ``data_root``),
a path to such a config, or a path to an annotation file. Only the *data*
comes from the test set; the model's own config gives the test pipeline and
the loader settings (batch size, workers, sampler), so every set is seen the
way the model was validated.
"""
import copy
import csv
import json
import math
import os.path as osp
import re
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence

from mmengine.config import Config

from qcdet.datasets.annotation_file import AnnotationError
from qcdet.utils.package_files import package_folder

__all__ = [
    'TABLE_METRICS', 'NOT_TESTED_KEY', 'SKIPPED_KEY', 'EvalDataset',
    'dataset_config_dir', 'known_test_sets',
    'resolve_test_set', 'resolve_test_sets', 'eval_loader_cfg',
    'eval_evaluator_cfg', 'run_test_sets', 'dump_file_for',
    'results_table', 'format_results_table', 'save_results_table'
]

TABLE_METRICS = ('frame_auc', 'video_auc', 'eer', 'ap', 'acc')
NOT_TESTED_KEY = 'not_tested'  # why a set has no metrics
SKIPPED_KEY = 'skipped_frames'  # frames left out because they cannot be read
COUNT_KEYS = ('num_frames', 'num_videos', SKIPPED_KEY)


def dataset_config_dir() -> Path:
    """``configs/_base_/datasets`` of the installed package or checkout."""
    return package_folder('configs') / '_base_' / 'datasets'


class EvalDataset(NamedTuple):
    name: str       # row label in the table
    dataset: dict   # dataset config without pipeline


def _dataset_from_config(path: Path, name: str,
                         data_root: Optional[str]) -> EvalDataset:
    cfg = Config.fromfile(str(path))
    loader = cfg.get('test_dataloader')
    if not loader or 'dataset' not in loader:
        raise KeyError(f'{path} defines no test_dataloader.dataset, so it '
                       'cannot be used as a test set')
    dataset = copy.deepcopy(dict(loader['dataset']))
    dataset.pop('pipeline', None)
    if data_root is not None:
        dataset['data_root'] = data_root
    return EvalDataset(name, dataset)


def _dataset_from_annotation_file(path: Path) -> EvalDataset:
    """``data_root`` is the grand-parent of a file inside an
    ``annotations/`` folder (qcdet's layout), else the file's folder."""
    path = path.resolve()
    if path.parent.name == 'annotations':
        data_root = path.parent.parent
        name = f'{data_root.name}/{path.stem}'
    else:
        data_root = path.parent
        name = path.stem
    return EvalDataset(
        name,
        dict(type='DeepfakeDataset', data_root=str(data_root),
             ann_file=str(path), test_mode=True))


def resolve_test_set(entry: str) -> EvalDataset:
    """One ``--datasets`` entry: ``NAME``, ``NAME=DATA_ROOT``, a config
    ``.py`` path or an annotation file path."""
    path = Path(entry)
    if path.is_file():
        if path.suffix == '.py':
            return _dataset_from_config(path, path.stem, None)
        return _dataset_from_annotation_file(path)
    name, data_root = entry, None
    if '=' in entry:
        name, data_root = entry.split('=', 1)
    config_dir = dataset_config_dir()
    config = config_dir / f'{name}.py'
    if not config.is_file() or name not in known_test_sets():
        known = known_test_sets()
        raise FileNotFoundError(
            f'test set {entry!r} is neither an existing file nor a dataset '
            f'config in {config_dir} (known: {known})')
    return _dataset_from_config(config, name, data_root)


def known_test_sets() -> List[str]:
    """Names of the dataset configs that are test sets (they set
    ``test_dataloader.dataset.data_root``); the shared bases (pipelines,
    ``cross_dataset_test``) are not."""
    names = []
    for path in sorted(dataset_config_dir().glob('*.py')):
        loader = Config.fromfile(str(path)).get('test_dataloader') or {}
        if (loader.get('dataset') or {}).get('data_root'):
            names.append(path.stem)
    return names


def resolve_test_sets(entries: Sequence[str]) -> List[EvalDataset]:
    """Resolve every entry; repeated names get ``#2``, ``#3`` suffixes."""
    test_sets, seen = [], {}
    for entry in entries:
        test_set = resolve_test_set(entry)
        count = seen.get(test_set.name, 0) + 1
        seen[test_set.name] = count
        if count > 1:
            test_set = test_set._replace(name=f'{test_set.name}#{count}')
        test_sets.append(test_set)
    return test_sets


def eval_loader_cfg(cfg: Config, test_set: EvalDataset) -> dict:
    """The config's ``test_dataloader`` (after ``--cfg-options``) with its
    dataset replaced by the test set's, keeping the config's test
    pipeline."""
    loader = cfg.get('test_dataloader')
    if not loader or 'pipeline' not in loader.get('dataset', {}):
        raise KeyError('the model config needs test_dataloader.dataset.'
                       'pipeline to test on other datasets')
    loader = copy.deepcopy(loader)
    dataset = copy.deepcopy(test_set.dataset)
    dataset['pipeline'] = copy.deepcopy(loader['dataset']['pipeline'])
    dataset.setdefault('test_mode', True)
    # one unreadable frame is a counted skip, not the end of the test
    dataset.setdefault('skip_unreadable', True)
    loader['dataset'] = dataset
    return loader


def eval_evaluator_cfg(cfg: Config, dump_file: Optional[str] = None):
    """The config's ``test_evaluator``, plus ``DumpResults`` when per-frame
    predictions are wanted (those are kept in memory until the end)."""
    evaluator = copy.deepcopy(cfg.get('test_evaluator'))
    if evaluator is None:
        raise KeyError('the model config needs a test_evaluator')
    if dump_file is None:
        return evaluator
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    return [*metrics, dict(type='DumpResults', out_file_path=dump_file)]


def dump_file_for(out: Optional[str], name: str) -> Optional[str]:
    """``preds.pkl`` -> ``preds_<name>.pkl`` (name made file-safe)."""
    if out is None:
        return None
    stem, ext = osp.splitext(out)
    return f'{stem}_{re.sub(r"[^A-Za-z0-9_.-]+", "_", name)}{ext or ".pkl"}'


def run_test_sets(runner, cfg: Config, test_sets: Sequence[EvalDataset],
                  out: Optional[str] = None) -> Dict[str, dict]:
    """Test the runner's model on each set; metrics per set name.

    Like ``Runner.test`` (``before_run`` hooks, checkpoint loaded once,
    ``after_run``) but with one test loop per set, built by the runner so
    samplers shard data across processes as usual. The previous loop is
    dropped before the next is built, so its loader and metric state are
    freed. A set whose annotation file is missing, unreadable or empty is
    not tested: its metrics are ``{NOT_TESTED_KEY: reason}``; so is one
    whose test fails in a single-process run (logged with its traceback),
    and the next set is still tested. Frames that cannot be read are
    skipped and counted (``SKIPPED_KEY``).
    """
    runner.call_hook('before_run')
    runner.load_or_resume()
    results = {}
    for test_set in test_sets:
        runner._test_loop = None
        runner._test_dataloader = eval_loader_cfg(cfg, test_set)
        runner._test_evaluator = eval_evaluator_cfg(
            cfg, dump_file_for(out, test_set.name))
        try:
            runner._test_loop = runner.build_test_loop(
                copy.deepcopy(cfg.get('test_cfg') or dict()))
        except (FileNotFoundError, AnnotationError) as e:
            # a set not prepared (or left empty) here: a row that says so
            runner.logger.warning(f'Not testing on {test_set.name}: {e}')
            results[test_set.name] = {NOT_TESTED_KEY: str(e)}
            continue
        runner.logger.info(f'Testing on {test_set.name}: '
                           f'{test_set.dataset.get("ann_file")} '
                           f'(data_root {test_set.dataset.get("data_root")})')
        skipped = len(getattr(runner.test_loop.dataloader.dataset,
                              'skipped_frames', ()))
        try:
            metrics = dict(runner.test_loop.run())
        except Exception as e:  # the other sets are still tested
            if runner.world_size > 1:
                raise  # the other processes would wait for this one
            runner.logger.exception(f'Testing on {test_set.name} failed')
            metrics = {NOT_TESTED_KEY: f'{type(e).__name__}: {e}'}
        results[test_set.name] = dict(metrics, **{SKIPPED_KEY: skipped})
    runner._test_loop = None
    runner.call_hook('after_run')
    return results


def _metric(metrics: dict, key: str) -> float:
    """``key`` or ``<prefix>/key`` from a metrics dict; NaN if absent."""
    if key in metrics:
        return float(metrics[key])
    for name, value in metrics.items():
        if name.endswith('/' + key):
            return float(value)
    return math.nan


def results_table(results: Dict[str, dict]) -> dict:
    """Rows of the table: per set the five metrics and frame/video counts,
    and their average over the sets where a metric is defined."""
    rows = {}
    for name, metrics in results.items():
        row = {key: _metric(metrics, key) for key in TABLE_METRICS}
        for key in COUNT_KEYS:
            value = _metric(metrics, key)
            row[key] = None if math.isnan(value) else int(value)
        if NOT_TESTED_KEY in metrics:
            row[NOT_TESTED_KEY] = metrics[NOT_TESTED_KEY]
        rows[name] = row
    average = {}
    for key in TABLE_METRICS:
        values = [r[key] for r in rows.values() if not math.isnan(r[key])]
        average[key] = sum(values) / len(values) if values else math.nan
    return dict(metrics=list(TABLE_METRICS), datasets=rows, average=average)


def _fmt(value) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return 'nan' if math.isnan(value) else f'{value:.4f}'
    return str(value)


def format_results_table(table: dict) -> str:
    """A fixed-width text table, one line per set and an average line."""
    columns = ['dataset', *table['metrics'], *COUNT_KEYS]
    lines = [[name, *[_fmt(row[k]) for k in columns[1:]]]
             for name, row in table['datasets'].items()]
    lines.append(['average', *[_fmt(table['average'][k])
                               for k in table['metrics']],
                  *['-'] * len(COUNT_KEYS)])
    widths = [max(len(c), *(len(line[i]) for line in lines))
              for i, c in enumerate(columns)]

    def join(cells):
        return '  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))

    rule = '-' * len(join(columns))
    notes = [f'{name}: not tested: {row[NOT_TESTED_KEY]}'
             for name, row in table['datasets'].items()
             if NOT_TESTED_KEY in row]
    notes += [f'{name}: {row[SKIPPED_KEY]} unreadable frame(s) skipped '
              '(tools/misc/verify_dataset.py lists them)'
              for name, row in table['datasets'].items()
              if row.get(SKIPPED_KEY)]
    return '\n'.join([join(columns), rule, *map(join, lines[:-1]), rule,
                      join(lines[-1]), *notes])


def _json_value(value):
    return None if isinstance(value, float) and math.isnan(value) else value


def save_results_table(table: dict, work_dir: str, extra: dict = None,
                       basename: str = 'cross_dataset') -> tuple:
    """Write ``<work_dir>/<basename>.json`` and ``.csv``; NaN (undefined
    metric) is ``null`` in JSON and empty in CSV. Returns both paths."""
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    json_path = osp.join(work_dir, f'{basename}.json')
    csv_path = osp.join(work_dir, f'{basename}.csv')
    payload = dict(extra or {})
    payload['metrics'] = table['metrics']
    payload['datasets'] = {
        name: {k: _json_value(v) for k, v in row.items()}
        for name, row in table['datasets'].items()}
    payload['average'] = {k: _json_value(v)
                          for k, v in table['average'].items()}
    with open(json_path, 'w') as f:
        json.dump(payload, f, indent=2)
    columns = ['dataset', *table['metrics'], *COUNT_KEYS]
    with open(csv_path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        rows = [(name, row) for name, row in table['datasets'].items()]
        rows.append(('average', table['average']))
        for name, row in rows:
            cells = [row.get(k) for k in columns[1:]]
            writer.writerow([name, *[
                '' if c is None or (isinstance(c, float) and math.isnan(c))
                else repr(c) if isinstance(c, float) else c for c in cells]])
    return json_path, csv_path
