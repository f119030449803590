"""What a config's data pipeline makes of the samples of one epoch: the
images at each pipeline step and, for a quality-centric (QC) config, the
curriculum's decisions (FQS, hard/easy, FreDA).

The epoch is replayed with the training code itself, not a copy of it: the
configured sampler yields the ``(index, easy, seed)`` items,
``QualityScoreHook`` computes the FQS that plans the epoch (its rule for
fakes without a dynamic score included), and the dataset's
``__getitem__`` runs the pipeline under the item's seed, so a panel shows
what training would have fed the model.
"""
import json
import logging
from functools import cached_property
from itertools import islice
from types import SimpleNamespace
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from qcdet.datasets.samplers.curriculum_contract import FREDA_APPLIED
from qcdet.registry import DATA_SAMPLERS, DATASETS, HOOKS

from .figure import new_figure

__all__ = [
    'BROWSE_MODES', 'RecordingPipeline', 'EpochReplay', 'read_dynamic',
    'browse_samples', 'plot_browsed_samples'
]

BROWSE_MODES = ('original', 'transformed', 'concat', 'pipeline')


def _as_bgr_image(img) -> np.ndarray:
    """An ``H x W x C`` uint8 array from a pipeline image (numpy HWC or a
    packed CHW tensor)."""
    if isinstance(img, torch.Tensor):
        img = img.detach().cpu().numpy().transpose(1, 2, 0)
    return np.clip(np.asarray(img), 0, 255).astype(np.uint8)


def _step_image(results: dict) -> Optional[np.ndarray]:
    """The BGR image a pipeline step left in ``results``."""
    if 'inputs' in results:
        return _as_bgr_image(results['inputs'])
    if results.get('img') is not None:
        return _as_bgr_image(results['img'])
    return None


class RecordingPipeline:
    """The dataset's pipeline, keeping the image after every transform
    (``steps``: ``(transform name, BGR image)``) of the last call."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.steps: List[tuple] = []

    def __call__(self, results: dict) -> Optional[dict]:
        self.steps = []
        for transform in self.pipeline.transforms:
            results = transform(results)
            if results is None:
                return None
            img = _step_image(results)
            if img is not None:
                self.steps.append((type(transform).__name__, img))
        return results


def read_dynamic(epoch_file: str) -> tuple:
    """``({dataset index: dynamic score}, epoch)`` from a
    ``QualityScoreHook`` epoch file (fakes without a score left out; the
    epoch is 1-based)."""
    with open(epoch_file) as f:
        record = json.load(f)
    samples = record['samples']
    dynamic = {int(i): float(v) for i, v in
               zip(samples['index'], samples['dynamic']) if v is not None}
    return dynamic, int(record['epoch'])


class EpochReplay:
    """One epoch of a config's ``{phase}_dataloader``: its dataset, its
    sampler at that epoch and, for a QC config, the ``QualityScoreHook``
    that gave the sampler its FQS.

    Args:
        cfg: the merged config.
        epoch: 1-based, as in the training log and the hook's epoch files.
        phase: ``'train'``, ``'val'`` or ``'test'``.
        seed: the sampler's seed; default the config's
            ``randomness.seed`` (what the runner passes it).
        dynamic: ``{dataset index: dynamic score}`` (e.g. from
            :func:`read_dynamic`); None or {} is a fresh run.
    """

    def __init__(self, cfg: Config, epoch: int = 1, phase: str = 'train',
                 seed: Optional[int] = None,
                 dynamic: Optional[Dict[int, float]] = None):
        if epoch < 1:
            raise ValueError(f'epochs count from 1, got {epoch}')
        init_default_scope(cfg.get('default_scope', 'qcdet'))
        loader_cfg = cfg[f'{phase}_dataloader']
        if seed is None:
            seed = cfg.get('randomness', {}).get('seed')
        if seed is None:
            raise ValueError('the config has no randomness.seed, so the run '
                             'drew one: pass the seed its log shows')
        self.epoch = epoch
        self.dataset = DATASETS.build(loader_cfg.dataset)
        self.sampler = DATA_SAMPLERS.build(
            loader_cfg.sampler, default_args=dict(dataset=self.dataset,
                                                  seed=seed))
        self.hook = None
        if phase == 'train':
            self.hook = self._quality_hook(cfg, dynamic)
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch - 1)

    def _quality_hook(self, cfg: Config,
                      dynamic: Optional[Dict[int, float]]):
        """The config's ``QualityScoreHook``, run through ``before_run`` and
        ``before_train_epoch`` as training does (it hands the sampler its
        ``max_epochs`` and the FQS); None when the config has none."""
        hook_cfgs = [h for h in cfg.get('custom_hooks', [])
                     if str(h.get('type')).split('.')[-1] ==
                     'QualityScoreHook']
        if not hook_cfgs:
            return None
        hook = HOOKS.build(hook_cfgs[0])
        logger = MMLogger.get_current_instance()
        runner = SimpleNamespace(
            train_dataloader=SimpleNamespace(dataset=self.dataset,
                                             sampler=self.sampler),
            max_epochs=cfg.train_cfg.max_epochs, epoch=self.epoch - 1,
            logger=logger)
        level = logger.level
        logger.setLevel(logging.WARNING)  # its sample counts are noise here
        try:
            hook.before_run(runner)
        finally:
            logger.setLevel(level)
        for index, value in (dynamic or {}).items():
            if not 0 <= index < len(self.dataset):
                raise ValueError(
                    f'dynamic score for sample {index}, but the dataset has '
                    f'{len(self.dataset)}: scores of another annotation '
                    'file?')
            hook.store.dynamic[index] = value
        hook.before_train_epoch(runner)
        return hook

    @cached_property
    def plan(self):
        """The sampler's ``EpochPlan`` (None for samplers without one)."""
        if not hasattr(self.sampler, 'epoch_plan'):
            return None
        return self.sampler.epoch_plan(self.epoch - 1)

    def fqs(self) -> Optional[np.ndarray]:
        """FQS per dataset index that planned the epoch (NaN for reals)."""
        return None if self.hook is None else self.hook.store.fqs

    def items(self, num: int) -> list:
        """The first ``num`` items the sampler yields this epoch."""
        return list(islice(iter(self.sampler), num))


def _describe(replay: EpochReplay, item, metainfo: dict) -> dict:
    """What a panel says about one sample (``metainfo``: its packed
    data sample's)."""
    index = int(item[0] if isinstance(item, (tuple, list)) else item)
    info = replay.dataset.get_data_info(index)
    sample = dict(index=index, label=int(info['label']),
                  method=info.get('method', '?'),
                  img_path=info['img_path'],
                  freda_applied=bool(metainfo.get(FREDA_APPLIED, False)))
    fqs, plan = replay.fqs(), replay.plan
    if fqs is not None:
        value = fqs[index]
        sample['fqs'] = None if not np.isfinite(value) else float(value)
    if plan is not None and sample['label'] == 1:
        sample['curriculum'] = 'easy' if plan.easy[index] else 'hard'
    return sample


def _select_steps(steps: List[tuple], mode: str) -> List[tuple]:
    """The images a panel shows for ``mode`` (see ``BROWSE_MODES``)."""
    if mode == 'pipeline':
        return steps
    if mode == 'original':
        return steps[:1]
    if mode == 'transformed':
        return steps[-1:]
    chosen = [steps[0]]
    chosen += [s for s in steps[1:-1] if s[0] == 'FreqAugment']
    return chosen + [steps[-1]]


def browse_samples(replay: EpochReplay, num: int,
                   mode: str = 'concat') -> List[dict]:
    """The first ``num`` samples of the epoch through the pipeline: per
    sample its description (``_describe``) and ``steps``, the
    ``(step name, BGR image)`` pairs ``mode`` shows."""
    if mode not in BROWSE_MODES:
        raise ValueError(f'mode must be one of {BROWSE_MODES}, got {mode!r}')
    dataset = replay.dataset
    dataset.full_init()
    recorder = RecordingPipeline(dataset.pipeline)
    pipeline, dataset.pipeline = dataset.pipeline, recorder
    samples = []
    try:
        for item in replay.items(num):
            # dataset[item]: the sampler's seed and all, as in training
            packed = dataset[item].get('data_samples')
            sample = _describe(replay, item, getattr(packed, 'metainfo', {}))
            sample['steps'] = _select_steps(recorder.steps, mode)
            samples.append(sample)
    finally:
        dataset.pipeline = pipeline
    return samples


def _title(sample: dict) -> str:
    label = 'fake' if sample['label'] == 1 else 'real'
    first = f'#{sample["index"]} {label} {sample["method"]}'
    parts = []
    if 'fqs' in sample:
        fqs = sample['fqs']
        parts.append('FQS -' if fqs is None else f'FQS {fqs:.2f}')
    if 'curriculum' in sample:
        parts.append(sample['curriculum'])
    if sample['freda_applied']:
        parts.append('FreDA')
    return first + ('\n' + ' | '.join(parts) if parts else '')


def plot_browsed_samples(samples: List[dict], ncols: int = 4,
                         title: str = ''):
    """A grid with one panel per sample: its images side by side (step
    names under them), titled with label, method and, for QC configs, FQS,
    hard/easy and whether FreDA was applied. Returns ``(figure,
    samples)``."""
    if not samples:
        raise ValueError('no samples to show')
    ncols = min(ncols, len(samples))
    nrows = -(-len(samples) // ncols)
    images_per_panel = max(len(s['steps']) for s in samples)
    fig = new_figure(1.6 * images_per_panel * ncols + 0.2,
                     2.0 * nrows + 0.5)
    axes = np.array(fig.subplots(nrows, ncols)).reshape(-1)
    for ax in axes[len(samples):]:
        ax.set_axis_off()
    for ax, sample in zip(axes, samples):
        images = [img for _, img in sample['steps']]
        height = max(img.shape[0] for img in images)
        images = [cv2.resize(img, (round(img.shape[1] * height /
                                         img.shape[0]), height))
                  if img.shape[0] != height else img for img in images]
        gap = np.full((height, max(height // 16, 1), 3), 255, np.uint8)
        row = [images[0]]
        for img in images[1:]:
            row += [gap, img]
        ax.imshow(cv2.cvtColor(np.concatenate(row, axis=1),
                               cv2.COLOR_BGR2RGB))
        ax.set_title(_title(sample), fontsize='x-small')
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(' | '.join(name for name, _ in sample['steps']),
                      fontsize='xx-small')
    if title:
        fig.suptitle(title, fontsize='small')
    return fig, samples
