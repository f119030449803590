"""What several benchmark scripts share: timed training runs
(``train_throughput``, ``dataloader_ipc``, ``profile_train``), the study's
runs and tables (``generalization``, ``generalization_real``), the FF++
sample crops and interleaved timing. A script's folder is on its path, so
``from common import ...`` works from any of them."""
import gc
import json
import os
import os.path as osp
import pickle
import resource
import statistics
import time
from pathlib import Path

import numpy as np
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from qcdet.datasets.annotation_file import load_annotation
from qcdet.offline.face_crops import build_layout, preprocess_dataset
from qcdet.offline.static_quality import evaluator_config, score_annotation
from qcdet.offline.synthetic_data import generate_demo_dataset

REPO = Path(__file__).resolve().parents[1]


def make_config(config: str, seed: int, work_dir: str, epochs: int, num_workers: int, train: dict,
                test: dict, img_size: int = None) -> Config:
    """A repo config set up for one study run: no validation, no checkpoints, quiet logs.

    ``train``/``test`` update the datasets (e.g. ``data_root``, ``ann_file``); ``img_size`` replaces the
    pipelines' Resize scale.
    """
    cfg = Config.fromfile(str(REPO / config))
    cfg.work_dir = work_dir
    cfg.experiment_name = f'study_{os.getpid()}_{time.time_ns()}'
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs + 1)
    cfg.val_dataloader, cfg.val_cfg, cfg.val_evaluator = None, None, None
    cfg.default_hooks.checkpoint = None  # the last epoch is tested straight from memory
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    cfg.visualizer = dict(type='Visualizer', vis_backends=[])
    cfg.log_level = 'WARNING'
    for split, dataset in (('train', train), ('test', test)):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.update(dataset)
        loader.num_workers = num_workers
        loader.persistent_workers = num_workers > 0
        if img_size:
            for step in loader.dataset.pipeline:
                if step['type'] == 'Resize':
                    step['scale'] = (img_size, img_size)
    return cfg


QUALITY_TERCILES = ('low', 'mid', 'high')


def auc_by_quality(predictions: str, dataset: dict) -> dict:
    """Frame AUC of every real against the held-out fakes of each true-quality tercile (q < 1/3, < 2/3, rest):
    where the detector generalises, on crude or on realistic fakes. ``dataset``: the tested dataset config."""
    from sklearn.metrics import roc_auc_score
    records = load_annotation(osp.join(dataset['data_root'], dataset['ann_file']))['data_list']
    quality = {r['img_path']: r.get('true_quality') for r in records}
    with open(predictions, 'rb') as f:
        samples = pickle.load(f)
    scores, labels, terciles = [], [], []
    for sample in samples:
        q = quality[osp.relpath(sample['img_path'], dataset['data_root'])]
        scores.append(float(sample['pred_score'][1]))
        labels.append(int(sample['gt_label']))
        terciles.append(None if q is None else QUALITY_TERCILES[min(int(q * 3), 2)])
    scores, labels = np.asarray(scores), np.asarray(labels)
    out = {}
    for name in QUALITY_TERCILES:
        keep = (labels == 0) | np.array([t == name for t in terciles])
        out[name] = float(roc_auc_score(labels[keep], scores[keep])) if labels[keep].any() else None
    return out


def fake_exposure(runner: Runner) -> dict:
    """Fake visits and FreDA'd fake visits over the run, from QualityScoreHook's epoch files; a run without
    the hook visits every fake once per epoch, through FreDA when its FreqAugment applies to all fakes."""
    visits = freda = 0
    for path in sorted(Path(runner.work_dir).glob('quality/epoch_*.json')):
        for method_stats in json.loads(path.read_text())['per_method'].values():
            visits += method_stats.get('visits', method_stats['count'])
            freda += method_stats.get('freda_visits', method_stats.get('num_easy', 0))
    if not visits:
        dataset = runner.train_dataloader.dataset
        visits = int(np.sum(dataset.get_labels() == 1)) * runner.max_epochs
        if any(getattr(t, 'apply_to', None) == 'all_fakes' for t in dataset.pipeline.transforms):
            freda = visits
    return dict(fake_visits=visits, freda_visits=freda)


def run_one(result_path: str, cfg: Config, tests: dict = None, **info) -> dict:
    """Trains ``cfg``, tests its last epoch and stores the metrics; reuses a stored result.

    ``tests``: ``{name: ann_file}`` (under the test dataset's ``data_root``) to test the one trained model on
    several sets; the result then holds ``tests: {name: metrics}``, else the metrics of the config's test set.
    """
    if osp.exists(result_path):
        with open(result_path) as f:
            return json.load(f)
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    test_dataset = dict(cfg.test_dataloader.dataset)
    named = tests or {None: test_dataset['ann_file']}
    metrics_of = {}
    for name, ann_file in named.items():
        predictions = osp.join(cfg.work_dir, f'test_predictions_{name}.pkl')
        dataset = dict(test_dataset, ann_file=ann_file)
        runner._test_loop = None
        runner._test_dataloader = dict(cfg.test_dataloader, dataset=dataset)
        runner._test_evaluator = [cfg.test_evaluator, dict(type='DumpResults', out_file_path=predictions)]
        runner._test_loop = runner.build_test_loop(dict(cfg.get('test_cfg') or dict()))
        metrics = runner.test_loop.run()
        metrics_of[name] = dict(frame_auc=float(metrics['frame_auc']), video_auc=float(metrics['video_auc']),
                                num_frames=int(metrics['num_frames']), num_videos=int(metrics['num_videos']),
                                frame_auc_by_quality=auc_by_quality(predictions, dataset))
    result = dict(info, epochs=cfg.train_cfg.max_epochs, seconds=round(time.time() - start, 1),
                  **fake_exposure(runner))
    if tests:
        result['tests'] = metrics_of
    else:
        result.update(metrics_of[None])
    os.makedirs(osp.dirname(result_path), exist_ok=True)
    with open(result_path, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def mean_std(values) -> str:
    values = np.asarray(values, dtype=float)
    return f'{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.3f}'


def format_table(results, metric, variants, families, label='held-out family') -> str:
    rows = [f'| {label} | ' + ' | '.join(variants) + ' |', '|---' * (len(variants) + 1) + '|']
    for family in families + ['mean']:
        cells = []
        for variant in variants:
            values = [r[metric] for r in results if r['variant'] == variant and r[metric] is not None
                      and (family == 'mean' or r['held_out'] == family)]
            if family == 'mean':  # mean over families of the seed-wise values; std over seeds of the mean
                by_seed = {}
                for r in results:
                    if r['variant'] == variant and r[metric] is not None:
                        by_seed.setdefault(r['seed'], []).append(r[metric])
                values = [np.mean(v) for v in by_seed.values()]
            cells.append(mean_std(values) if values else 'n/a')
        rows.append(f'| {family} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def paired_difference(results, metric, variant='qc', reference='baseline'):
    """QC − baseline per (family, seed) pair: the same data and seed for both."""
    ref = {(r['held_out'], r['seed']): r[metric] for r in results
           if r['variant'] == reference and r[metric] is not None}
    diffs = [r[metric] - ref[(r['held_out'], r['seed'])] for r in results
             if r['variant'] == variant and r[metric] is not None and (r['held_out'], r['seed']) in ref]
    return np.asarray(diffs, dtype=float)


def print_name_values(lines: dict, start: float) -> None:
    """The closing ``name: value`` lines (plus ``study_minutes``) that scripts parse."""
    lines['study_minutes'] = f'{(time.time() - start) / 60:.1f}'
    for name, value in lines.items():
        print(f'{name}: {value}')


REFRESH_METHODS = ('before_run', 'before_train', 'before_train_epoch',
                   'before_train_iter', 'after_train_iter',
                   'after_train_epoch', 'after_train', 'before_save_checkpoint')


class EpochStart(Hook):
    """Starts the epoch clock before any other hook's epoch work and counts
    the images (and easy fakes) trained on."""
    priority = 'HIGHEST'

    def __init__(self, record):
        self.record = record

    def before_train_epoch(self, runner):
        self.record.start_epoch()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        samples = data_batch['data_samples']
        self.record.images[-1] += len(samples)
        self.record.easy[-1] += sum(
            bool(s.metainfo.get('qc_easy', False)) for s in samples)


class EpochEndProbe(Hook):
    """Stops the epoch clock after every other hook's epoch work, then (the
    epoch clock stopped) times the bare model step on preloaded batches for
    as many iterations as the epoch had: a probe of the machine's speed
    right next to the epoch it is compared with."""
    priority = 'LOWEST'

    def __init__(self, record, num_batches=4):
        self.record = record
        self.num_batches = num_batches
        self.batches = None

    def after_train_epoch(self, runner):
        self.record.end_epoch()
        if self.batches is None:
            self.batches = preload_batches(runner, self.num_batches)
        if runner.epoch == 0:  # the warm-up epoch has no probe
            return
        wall, cpu = fwd_bwd_img_per_s(runner, self.batches,
                                      len(runner.train_dataloader))
        self.record.probe.append(wall)
        self.record.probe_cpu.append(cpu)


class RunRecord:
    """Per epoch: wall seconds, images, easy fakes, QualityScoreHook
    seconds and the adjacent bare-step img/s."""

    def __init__(self):
        self.seconds, self.images, self.easy = [], [], []
        self.cpu_seconds = []  # this process's CPU time (all its threads)
        self.refresh, self.probe, self.probe_cpu = [], [], []
        self.refresh_total = [0.0]  # QualityScoreHook seconds so far
        self.forward_calls = [0]
        self.worker_cpu_seconds = 0.0  # DataLoader workers, whole run
        self._start = self._refresh_start = None

    def start_epoch(self):
        _sync()
        self.images.append(0)
        self.easy.append(0)
        self._refresh_start = self.refresh_total[0]
        self._cpu_start = time.process_time()
        self._start = time.perf_counter()

    def end_epoch(self):
        _sync()
        self.seconds.append(time.perf_counter() - self._start)
        self.cpu_seconds.append(time.process_time() - self._cpu_start)
        self.refresh.append(self.refresh_total[0] - self._refresh_start)

    def img_per_s(self):
        """Per timed epoch (the first one warms up)."""
        return [n / s for n, s in zip(self.images[1:], self.seconds[1:])]

    def img_per_cpu_s(self):
        return [n / s for n, s in zip(self.images[1:],
                                      self.cpu_seconds[1:])]

    def worker_cpu_per_image(self):
        return self.worker_cpu_seconds / sum(self.images)

    def total_cpu_per_image(self):
        """This process's CPU per image in the timed epochs plus the
        workers' CPU per image over the run."""
        return (sum(self.cpu_seconds[1:]) / sum(self.images[1:]) +
                self.worker_cpu_per_image())


def _sync():
    """Waits for queued GPU work, so that wall clocks time it (no-op on a
    CPU)."""
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def time_hook_methods(hook, total):
    """Wrap the hook's methods so their time adds up in ``total[0]``."""
    for name in REFRESH_METHODS:
        method = getattr(hook, name)

        def timed(*args, _method=method, **kwargs):
            start = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - start

        setattr(hook, name, timed)


def count_calls(module, calls):
    def pre_hook(mod, args):
        calls[0] += 1

    module.register_forward_pre_hook(pre_hook)


def make_data(root, identities, size):
    generate_demo_dataset(str(root), num_identities=identities, size=size)
    ann = root / 'annotations'
    score_annotation(str(ann / 'train.json'), str(ann / 'train_static.json'),
                     evaluator_config('ssim'), progress=False)


def build_cfg(path, data_root, work_dir, args, name):
    cfg = Config.fromfile(str(path))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    schedule_epochs = cfg.train_cfg.max_epochs
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = name
    cfg.train_cfg.max_epochs = 1 + args.epochs
    cfg.train_cfg.pop('val_interval', None)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)
    cfg.log_level = 'WARNING'
    loader = cfg.train_dataloader
    loader.dataset.data_root = str(data_root)
    if args.workers is not None:
        loader.num_workers = args.workers
        loader.persistent_workers = args.workers > 0
    for step in loader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = (args.img_size, args.img_size)
    if loader.sampler.get('type') == 'QualityCurriculumSampler' and \
            loader.sampler.get('end_epoch') is None:
        loader.sampler.end_epoch = max(1, round(2 / 3 * schedule_epochs))
    return cfg


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train(cfg, qc):
    """One run, timed epoch by epoch; returns its RunRecord."""
    children_start = children_cpu_seconds()
    runner = Runner.from_cfg(cfg)
    record = RunRecord()
    runner.register_hook(EpochStart(record))
    runner.register_hook(EpochEndProbe(record))
    count_calls(runner.model.backbone, record.forward_calls)
    if qc:
        hooks = [h for h in runner.hooks
                 if type(h).__name__ == 'QualityScoreHook']
        assert len(hooks) == 1, 'the QC config must hold QualityScoreHook'
        time_hook_methods(hooks[0], record.refresh_total)
    runner.train()
    # probes run the backbone too: count the training forwards only
    record.forward_calls[0] -= sum(
        len(runner.train_dataloader) + 1 for _ in record.probe)
    del runner
    gc.collect()  # ends (and reaps) the persistent DataLoader workers
    record.worker_cpu_seconds = children_cpu_seconds() - children_start
    return record


def preload_batches(runner, num_batches):
    """Batches collated from the train dataset (in this process) and run
    through the data preprocessor: ready-made model inputs."""
    loader = runner.train_dataloader
    dataset, size = loader.dataset, loader.batch_size
    model = runner.model
    batches = []
    for b in range(num_batches):
        items = [dataset[(b * size + i) % len(dataset)] for i in range(size)]
        batches.append(
            model.data_preprocessor(loader.collate_fn(items), training=True))
    return batches


def fwd_bwd_img_per_s(runner, batches, num_iters):
    """Forward + backward + optimizer step of the run's model on
    preprocessed batches (one warm-up step, then ``num_iters`` timed):
    images per wall second and per CPU second of this process."""
    model, optim_wrapper = runner.model, runner.optim_wrapper
    model.train()

    def step(data):
        with optim_wrapper.optim_context(model):
            losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        optim_wrapper.update_params(loss)

    step(batches[0])
    _sync()
    images = 0
    cpu_start, start = time.process_time(), time.perf_counter()
    for i in range(num_iters):
        data = batches[i % len(batches)]
        step(data)
        images += len(data['inputs'])
    _sync()
    return (images / (time.perf_counter() - start),
            images / (time.process_time() - cpu_start))


def save(path, records, metainfo):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(metainfo=dict(metainfo, methods=sorted({r['method'] for r in records})),
                       data_list=records), f)


def crop_ffpp(shared: str, root: str, num_frames: int, size: int) -> str:
    """Crops the FF++ sample clips into ``root`` once (tools/data/preprocess.py's pipeline) and pools the
    official splits into ``annotations/all.json`` (the sample is too small to split by video); returns it."""
    pooled = osp.join(root, 'annotations', 'all.json')
    if osp.exists(pooled):
        return pooled
    layout = build_layout('ffpp', osp.join(shared, 'icpr2020dfdc', 'ffpp'),
                          splits_dir=osp.join(shared, 'faceforensics-examples', 'splits'))
    preprocess_dataset(layout, root, num_frames=num_frames, size=size, progress=False)
    records, metainfo = [], None
    for split in ('train', 'val', 'test'):
        path = osp.join(root, 'annotations', f'{split}.json')
        if osp.exists(path):
            with open(path) as f:
                ann = json.load(f)
            records += ann['data_list']
            metainfo = ann['metainfo']
    save(pooled, records, metainfo)
    return pooled


def seconds_per_call(fn, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def interleaved(cases, repeats, rounds):
    """Median seconds per call of each case; the cases alternate every round
    (after one warm-up call each: caches, FFT plans, lazy model loading), so
    a shared, noisy machine affects them alike."""
    for fn in cases.values():
        fn()
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            times[name].append(seconds_per_call(fn, repeats))
    return {name: statistics.median(t) for name, t in times.items()}
