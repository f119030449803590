"""Offline static-quality scoring of an annotation file: every fake (label 1)
is scored against its ``pair_path`` real frame and the score is written as
``static_quality`` into a new annotation file. Resumable and parallel; used
by ``tools/quality/score_static.py``."""
import copy
import json
import os
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional, Tuple

import cv2

from qcdet.datasets.annotation_file import (
    join_data_root,
    load_annotation,
    resolve_data_root,
)
from qcdet.faces.embedders import fetch_arcface_model
from qcdet.offline.quality_evaluators import read_bgr_image
from qcdet.registry import QUALITY_EVALUATORS
from qcdet.utils.atomic_files import write_json_atomic
from qcdet.utils.download import ModelFileUnavailable
from qcdet.utils.progress import progress_bar
from qcdet.utils.worker_pool import worker_context

__all__ = [
    'evaluator_config', 'choose_static_backend', 'partial_path',
    'score_annotation', 'format_report',
    'FALLBACK_KEY', 'SCORE_KEY'
]

SCORE_KEY = 'static_quality'
FALLBACK_KEY = 'static_quality_fallback'
DEFAULT_FALLBACK = 0.5  # when no fake was scored to take a median of

# why a fake got no score
NO_PAIR_PATH = 'no pair_path'
MISSING_FAKE = 'missing fake file'
MISSING_PAIR = 'missing pair file'
UNREADABLE = 'unreadable image'
NO_FACE = 'no usable face'


def choose_static_backend(backend: str) -> Tuple[str, Optional[str]]:
    """``'auto'`` -> ``'arcface'`` (the paper's) where its model is cached
    or can be downloaded now, else ``'dlib'``; returns the backend and, when
    ArcFace was not available, why (for a warning). Other names pass."""
    if backend != 'auto':
        return backend, None
    try:
        fetch_arcface_model()
    except ModelFileUnavailable as e:
        return 'dlib', str(e)
    return 'arcface', None


def evaluator_config(backend='dlib', model_path=None, detector='hog',
                     detector_cfg=None):
    """QUALITY_EVALUATORS config for a backend name:
    arcface | dlib | onnx | ssim."""
    if backend == 'ssim':
        return dict(type='SSIMSimilarityEvaluator')
    if backend in ('arcface', 'dlib', 'onnx'):
        cfg = dict(type='IdentitySimilarityEvaluator', backend=backend,
                   detector=detector)
        if model_path is not None:
            cfg['model_path'] = str(model_path)
        if detector_cfg:
            cfg['detector_cfg'] = dict(detector_cfg)
        return cfg
    raise ValueError(f'unknown backend {backend!r}; use arcface, dlib, onnx '
                     'or ssim')


def partial_path(ann_out):
    """Sidecar with the scores finished so far (deleted when done)."""
    return Path(f'{ann_out}.partial.jsonl')


class _PairScorer:
    """Scores one (index, fake_path, real_path) task; one per process."""

    def __init__(self, cfg):
        self.evaluator = QUALITY_EVALUATORS.build(copy.deepcopy(cfg))

    def __call__(self, task):
        index, fake_path, real_path = task
        if not os.path.isfile(fake_path):
            return index, None, MISSING_FAKE, {}
        if not os.path.isfile(real_path):
            return index, None, MISSING_PAIR, {}
        try:
            fake = read_bgr_image(fake_path)
            real = read_bgr_image(real_path)
        except ValueError:
            return index, None, UNREADABLE, {}
        score = self.evaluator.score(fake, real)
        counts = dict(self.evaluator.pop_counts())
        if score is None:
            return index, None, NO_FACE, counts
        score = float(score)
        if not 0.0 <= score <= 1.0:
            raise ValueError(f'{self.evaluator.name} scored {fake_path} '
                             f'vs {real_path} as {score}, outside [0, 1]')
        return index, score, None, counts


_WORKER_SCORER = None


def _init_worker(cfg):
    global _WORKER_SCORER
    cv2.setNumThreads(1)  # the processes are the parallelism
    _WORKER_SCORER = _PairScorer(cfg)


def _score_in_worker(task):
    return _WORKER_SCORER(task)


def _run_tasks(tasks, cfg, workers):
    """Yield task results as they finish (any order with workers > 1)."""
    if workers <= 1:
        scorer = _PairScorer(cfg)
        for task in tasks:
            yield scorer(task)
        return
    chunksize = max(1, min(16, len(tasks) // (workers * 4)))
    context = worker_context(__name__)
    with context.Pool(workers, initializer=_init_worker,
                      initargs=(cfg, )) as pool:
        yield from pool.imap_unordered(_score_in_worker, tasks, chunksize)


def _read_partial(path, header, data_list):
    """Finished results of an interrupted run with the same settings, keyed
    by index; entries whose img_path no longer matches are dropped."""
    done, bad_lines = {}, 0
    if not path.is_file():
        return done, bad_lines
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines:
        return done, bad_lines
    try:
        saved_header = json.loads(lines[0]).get('header')
    except (json.JSONDecodeError, AttributeError):
        saved_header = None
    if saved_header != header:
        raise RuntimeError(
            f'{path} is from a run with other settings ({saved_header}); '
            f'delete it or rerun with the same settings ({header})')
    for line in lines[1:]:
        try:
            entry = json.loads(line)
            index = entry['index']
            record = data_list[index]
        except (json.JSONDecodeError, KeyError, TypeError, IndexError):
            bad_lines += 1  # e.g. a line cut short by the interruption
            continue
        if record['img_path'] != entry['img_path']:
            bad_lines += 1
            continue
        done[index] = (entry['score'], entry['reason'],
                       entry.get('counts', {}))
    return done, bad_lines


def _method_stats(scores):
    if not scores:
        return dict(count=0, mean=None, std=None, min=None, max=None)
    return dict(count=len(scores), mean=statistics.fmean(scores),
                std=statistics.pstdev(scores), min=min(scores),
                max=max(scores))


def score_annotation(ann_in, ann_out, evaluator_cfg, data_root=None,
                     workers=1, fallback=None, progress=True):
    """Score every fake of ``ann_in`` and write ``ann_out``.

    Fakes that cannot be scored (reasons: no pair_path, missing fake/pair
    file, unreadable image, no usable face) get the median score of all
    scored fakes (0.5 if there are none), or the constant ``fallback``, and
    ``static_quality_fallback: true``. The median is taken over every
    method, so the fallback carries no information about the fake's method
    (a per-method median would write the method label into q). Reals get
    ``static_quality: null``. Returns a report dict (see
    :func:`format_report`). ``progress``: a bar while scoring, on a
    terminal only (a log file or pipe gets no bar updates).
    """
    ann_in, ann_out = Path(ann_in), Path(ann_out)
    if ann_out.resolve() == ann_in.resolve():
        raise ValueError(f'--out must be a new file, not the input {ann_in}')
    annotation = load_annotation(ann_in)
    data_list = annotation['data_list']
    root = resolve_data_root(ann_in, data_root)

    results, tasks = {}, []  # index -> (score, reason, counts)
    for index, record in enumerate(data_list):
        if record['label'] != 1:
            continue
        if not record.get('pair_path'):
            results[index] = (None, NO_PAIR_PATH, {})
            continue
        tasks.append((index, join_data_root(root, record['img_path']),
                      join_data_root(root, record['pair_path'])))

    sidecar = partial_path(ann_out)
    # through JSON, so it compares equal to the one read back
    header = json.loads(json.dumps(
        dict(evaluator=evaluator_cfg, ann_in=str(ann_in.resolve()))))
    resumed, bad_lines = _read_partial(sidecar, header, data_list)
    task_indices = {task[0] for task in tasks}
    bad_lines += sum(index not in task_indices for index in resumed)
    resumed = {i: v for i, v in resumed.items() if i in task_indices}
    tasks = [task for task in tasks if task[0] not in resumed]
    results.update(resumed)

    ann_out.parent.mkdir(parents=True, exist_ok=True)
    # rewrite the sidecar cleanly (drops a line cut short), then append
    with open(sidecar, 'w') as f:
        f.write(json.dumps(dict(header=header)) + '\n')
        for index, (score, reason, counts) in resumed.items():
            f.write(json.dumps(dict(
                index=index, img_path=data_list[index]['img_path'],
                score=score, reason=reason, counts=counts)) + '\n')
    bar = progress_bar(len(tasks), 'static quality', unit='frame',
                        enabled=None if progress and tasks else False)
    with open(sidecar, 'a') as f:
        for index, score, reason, counts in _run_tasks(
                tasks, evaluator_cfg, workers):
            results[index] = (score, reason, counts)
            f.write(json.dumps(dict(
                index=index, img_path=data_list[index]['img_path'],
                score=score, reason=reason, counts=counts)) + '\n')
            f.flush()
            bar.update(1)
    bar.close()

    scored_by_method = defaultdict(list)
    failures = Counter()
    evaluator_counts = Counter()
    for index, (score, reason, counts) in results.items():
        evaluator_counts.update(counts)
        method = data_list[index].get('method', 'unknown')
        if score is None:
            failures[reason] += 1
        else:
            scored_by_method[method].append(score)

    all_scores = [s for scores in scored_by_method.values() for s in scores]
    if fallback is not None:
        fallback_value = float(fallback)
    elif all_scores:
        fallback_value = statistics.median(all_scores)
    else:
        fallback_value = DEFAULT_FALLBACK

    out_list = []
    fallbacks_by_method = Counter()
    for index, record in enumerate(data_list):
        record = dict(record)
        record[SCORE_KEY] = None
        record[FALLBACK_KEY] = False
        if index in results:
            score = results[index][0]
            if score is None:
                method = record.get('method', 'unknown')
                score = fallback_value
                record[FALLBACK_KEY] = True
                fallbacks_by_method[method] += 1
            record[SCORE_KEY] = score
        out_list.append(record)
    metainfo = dict(annotation.get('metainfo', {}))
    metainfo['static_quality_evaluator'] = evaluator_cfg
    out = dict(annotation, metainfo=metainfo, data_list=out_list)
    write_json_atomic(ann_out, out)
    sidecar.unlink()

    methods = sorted(set(scored_by_method) | set(fallbacks_by_method))
    return dict(
        ann_out=str(ann_out),
        data_root=str(root),
        num_fakes=len(results),
        num_resumed=len(resumed),
        num_scored_now=len(tasks),
        partial_lines_dropped=bad_lines,
        failures=dict(failures),
        evaluator_counts=dict(evaluator_counts),
        fallback_value=fallback_value if fallbacks_by_method else None,
        per_method={
            m: dict(_method_stats(scored_by_method.get(m, [])),
                    fallbacks=fallbacks_by_method.get(m, 0))
            for m in methods
        })


def format_report(report):
    """Human-readable summary of :func:`score_annotation`'s report."""

    def num(value):
        return '-' if value is None else f'{value:.4f}'

    lines = [
        f'wrote {report["ann_out"]} (paths under {report["data_root"]}): '
        f'{report["num_fakes"]} fakes, {report["num_scored_now"]} scored now, '
        f'{report["num_resumed"]} resumed',
        f'{"method":<20} {"scored":>7} {"fallback":>8} {"mean":>7} '
        f'{"std":>7} {"min":>7} {"max":>7}'
    ]
    for method, stats in report['per_method'].items():
        lines.append(
            f'{method:<20} {stats["count"]:>7} {stats["fallbacks"]:>8} '
            f'{num(stats["mean"]):>7} {num(stats["std"]):>7} '
            f'{num(stats["min"]):>7} {num(stats["max"]):>7}')
    if report['failures']:
        lines.append('fakes without a usable pair (given the fallback '
                     f'score, {FALLBACK_KEY}=true):')
        for reason, count in sorted(report['failures'].items()):
            lines.append(f'  {reason}: {count}')
        if report['fallback_value'] is not None:
            lines.append(f'  fallback score (every method): '
                         f'{report["fallback_value"]:.4f}')
    if report['evaluator_counts']:
        lines.append('evaluator events: ' + ', '.join(
            f'{k}={v}' for k, v in sorted(report['evaluator_counts'].items())))
    if report['partial_lines_dropped']:
        lines.append(f'dropped {report["partial_lines_dropped"]} unusable '
                     'lines of the partial file (rescored)')
    return '\n'.join(lines)
