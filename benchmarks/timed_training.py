"""Timed training runs (``train_throughput``, ``dataloader_ipc``,
``profile_train``, ``qc_profile``): a repo config trained on generated demo
data, timed epoch by epoch, next to a probe of the bare model step."""
import gc
import resource
import time
from pathlib import Path

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from benchmarks.timing import sync
from qcdet.offline.static_quality import evaluator_config, score_annotation
from qcdet.offline.synthetic_data import generate_demo_dataset

REPO = Path(__file__).resolve().parents[1]

REFRESH_METHODS = ('before_run', 'before_train', 'before_train_epoch',
                   'before_train_iter', 'after_train_iter',
                   'after_train_epoch', 'after_train',
                   'before_save_checkpoint')


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
        sync()
        self.images.append(0)
        self.easy.append(0)
        self._refresh_start = self.refresh_total[0]
        self._cpu_start = time.process_time()
        self._start = time.perf_counter()

    def end_epoch(self):
        sync()
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
    sync()
    images = 0
    cpu_start, start = time.process_time(), time.perf_counter()
    for i in range(num_iters):
        data = batches[i % len(batches)]
        step(data)
        images += len(data['inputs'])
    sync()
    return (images / (time.perf_counter() - start),
            images / (time.process_time() - cpu_start))
