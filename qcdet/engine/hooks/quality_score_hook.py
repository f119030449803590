"""Drives quality-centric training: feedback → dynamic score → FQS →
curriculum, once per epoch."""
import os
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from qcdet.datasets.pair_bands import attach_pair_bands
from qcdet.datasets.samplers.curriculum_contract import (
    CurriculumDataset,
    CurriculumSampler,
    TrainFeedback,
)
from qcdet.quality import QualityScoreStore
from qcdet.registry import HOOKS, QUALITY_EVALUATORS
from qcdet.utils.atomic_files import write_json_atomic

__all__ = ['QualityScoreHook']

CKPT_KEY = 'qcdet_quality'


def _mean(values: np.ndarray) -> Optional[float]:
    values = values[np.isfinite(values)]
    return round(float(values.mean()), 6) if len(values) else None


def _weighted_mean(values: np.ndarray,
                   weights: np.ndarray) -> Optional[float]:
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return None
    return round(float(np.average(values[keep], weights=weights[keep])), 6)


def _numpy(values) -> np.ndarray:
    """A CPU tensor (or anything array-like) as a numpy array, no copy."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def _json_list(values: np.ndarray) -> list:
    """Rounded to 6 decimals, None for NaN/inf, in whole-array numpy calls
    (per-value ``np.isfinite`` and ``round`` made the epoch file cost ~2 ms
    per 400 fakes)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    rounded = np.round(values, 6).tolist()
    if finite.all():
        return rounded
    return [v if ok else None for v, ok in zip(rounded, finite.tolist())]


@HOOKS.register_module()
class QualityScoreHook(Hook):
    """Collects each fake's feedback from the training iterations' own
    outputs (``model.train_feedback``; no extra forward pass), recomputes FQS
    before every epoch and hands it to the train sampler, logs per-method
    means and the hard/easy split, writes
    ``work_dir/<out_dir>/epoch_{N}.json`` and keeps scores and curriculum in
    checkpoints.

    What it calls is the curriculum contract
    (``qcdet.datasets.samplers.curriculum_contract``, docs/contracts.md):
    the training dataset is a ``CurriculumDataset`` (``get_labels``,
    ``get_methods``, ``get_static_quality``), the train sampler a
    ``CurriculumSampler`` (``set_scores``, ``set_max_epochs``,
    ``last_plan``, ``state_dict``, ``load_state_dict``; another sampler
    gets no scores, with a warning), and the model leaves a
    ``TrainFeedback`` in ``train_feedback`` after a training step (a model
    that leaves none reports nothing).

    The epoch's exposure (visits and FreDA'd visits per fake, by method and
    FQS quartile) is counted from the feedback itself (``freda`` of each
    trained image), so it says what the detector saw; the hard/easy split
    is the plan the sampler yielded (``sampler.last_plan``).

    Args:
        dynamic (dict): a QUALITY_EVALUATORS config turning feedback into d.
        combiner (dict): a QUALITY_EVALUATORS config giving FQS from q and d.
        momentum (float): smoothing of d over epochs (QualityScoreStore).
        out_dir (str): folder under the work dir for the per-epoch files.
        pair_bands (str, optional): give the train pipeline's FreqAugment a
            band cache of the pairs' low frequencies, so FreDA decodes no
            pair (``qcdet.datasets.pair_bands``): ``'auto'`` (beside the
            train annotation, where ``tools/quality/score_static.py``
            writes it), a path prefix (relative: under the data root), or
            None (default: FreDA reads the pairs).
        pair_bands_rebuild (bool): rebuild a missing or stale band cache
            before training (True), or stop with the reason (False).
    """
    priority = 'NORMAL'

    def __init__(self,
                 dynamic: dict = dict(type='ModelFeedbackEvaluator',
                                      signal='prob'),
                 combiner: dict = dict(type='FQSCombiner', alpha=1.0,
                                       normalize='rank'),
                 momentum: float = 0.0,
                 out_dir: str = 'quality',
                 pair_bands: Optional[str] = None,
                 pair_bands_rebuild: bool = True):
        self.dynamic = QUALITY_EVALUATORS.build(dynamic)
        self.combiner = QUALITY_EVALUATORS.build(combiner)
        self.momentum = momentum
        self.out_dir = out_dir
        self.pair_bands = pair_bands
        self.pair_bands_rebuild = pair_bands_rebuild
        self.store: Optional[QualityScoreStore] = None
        self.sampler: Optional[CurriculumSampler] = None
        self.num_skipped = 0  # non-finite feedback values skipped this epoch

    # ---------------------------------------------------------------- set-up
    def before_run(self, runner) -> None:
        """Set up from the training data; a test-only run (``runner.test()``
        of a QC config) builds nothing of it, so a checkpoint can be tested
        where only the test sets are. (``runner.train_loop`` would build the
        loop, hence the look at the attribute behind it: a config dict or
        None until ``runner.train()`` builds it.)"""
        train_loop = getattr(runner, '_train_loop', 'built')
        if train_loop is None or isinstance(train_loop, dict):
            return
        loader = runner.train_dataloader
        dataset = loader.dataset
        if not isinstance(dataset, CurriculumDataset):
            raise TypeError(
                'QualityScoreHook needs a training dataset with '
                'get_labels(), get_methods() and get_static_quality() '
                f'(e.g. DeepfakeDataset), got {type(dataset).__name__}')
        self.labels = dataset.get_labels()
        self.methods = dataset.get_methods()
        self.store = QualityScoreStore(self.labels,
                                       dataset.get_static_quality(),
                                       momentum=self.momentum)
        # per sample this epoch: [trained images, of them FreDA'd]
        self._exposure_counts = torch.zeros(2, len(self.labels),
                                            dtype=torch.float64)
        # this epoch's feedback, counted at its end (after_train_iter)
        self._pending_visits, self._pending_feedback = [], []
        if isinstance(loader.sampler, CurriculumSampler):
            self.sampler = loader.sampler
            self.sampler.set_max_epochs(runner.max_epochs)
        else:
            self.sampler = None
            runner.logger.warning(
                f'QualityScoreHook: the train sampler '
                f'{type(loader.sampler).__name__} is no CurriculumSampler; '
                'scores are recorded but do not steer the curriculum. Use '
                "sampler=dict(type='QualityCurriculumSampler').")
        if self.pair_bands is not None:
            attach_pair_bands(dataset, self.pair_bands,
                              rebuild=self.pair_bands_rebuild,
                              logger=runner.logger)
        fake = self.labels == 1
        n_static = int(np.isfinite(self.store.static[fake]).sum())
        runner.logger.info(
            f'QualityScoreHook: {int(fake.sum())} fakes, {n_static} with a '
            'static quality score')

    # ---------------------------------------------------------------- epochs
    def before_train_epoch(self, runner) -> None:
        store = self.store
        store.fqs = self.combiner(
            self.labels, store.static,
            store.dynamic if np.isfinite(store.dynamic).any() else None)
        if self.sampler is not None:
            self.sampler.set_scores(store.fqs)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        """Keeps the batch's feedback for the epoch's end: its sample
        indices (checked now), whether FreDA made each image, and the
        dynamic values of the fakes seen raw (non-finite ones skipped and
        warned about now). One vectorised pass at the epoch's end does the
        counting: per iteration this costs a few numpy calls, not the ~20
        tensor ops an update of the per-sample counts would."""
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        feedback: Optional[TrainFeedback] = getattr(model, 'train_feedback',
                                                    None)
        if feedback is None:
            return
        model.train_feedback = None  # consumed: never counted twice
        idx = _numpy(feedback['sample_idx']).astype(np.int64, copy=False)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self.labels)):
            raise IndexError(
                f'sample_idx out of range [0, {len(self.labels)}): '
                f'{idx.min()}..{idx.max()}; does the pipeline pack '
                '`sample_idx`?')
        freda = feedback.get('freda')
        freda = np.zeros(len(idx), dtype=bool) if freda is None else \
            _numpy(freda).astype(bool, copy=False)
        self._pending_visits.append((idx, freda))
        # a FreDA'd image is not the fake whose quality d measures: the fake
        # keeps its previous d (none yet: imputed, see FQSCombiner)
        raw = (_numpy(feedback['label']) == 1) & ~freda
        if not raw.any():
            return
        # boolean indexing in numpy: ~1 us against ~25 us for a tensor
        values = _numpy(torch.as_tensor(self.dynamic(
            torch.from_numpy(_numpy(feedback['fake_prob'])[raw]),
            torch.from_numpy(_numpy(feedback['loss'])[raw]))))
        idx = idx[raw]
        # a NaN/inf would poison the sample's mean and, through the ranks of
        # FQS, the whole curriculum: skip it, count it, say so
        finite = np.isfinite(values)
        if not finite.all():
            skipped = idx[~finite].tolist()
            self.num_skipped += len(skipped)
            runner.logger.warning(
                f'QualityScoreHook: skipped non-finite feedback of samples '
                f'{skipped} at iteration {runner.iter + 1}')
            idx, values = idx[finite], values[finite]
        self._pending_feedback.append((idx, values))

    def _flush_feedback(self) -> None:
        """The epoch's kept feedback into the store and the exposure
        counts, in one pass."""
        n = len(self.labels)
        if self._pending_visits:
            idx = np.concatenate([i for i, _ in self._pending_visits])
            freda = np.concatenate([f for _, f in self._pending_visits])
            self._exposure_counts[0] += torch.from_numpy(
                np.bincount(idx, minlength=n).astype(np.float64))
            self._exposure_counts[1] += torch.from_numpy(
                np.bincount(idx, weights=freda, minlength=n))
        if self._pending_feedback:
            idx = np.concatenate([i for i, _ in self._pending_feedback])
            values = np.concatenate([v for _, v in self._pending_feedback])
            self.store.record(torch.from_numpy(idx),
                              torch.from_numpy(values.astype(np.float64)))
        self._pending_visits, self._pending_feedback = [], []

    def after_train_epoch(self, runner) -> None:
        self._flush_feedback()
        seen = self.store.end_epoch()
        # all ranks' counts in the epoch file, in one reduce
        packed = torch.cat([
            self._exposure_counts.flatten(),
            torch.tensor([float(self.num_skipped)], dtype=torch.float64)
        ])
        all_reduce(packed, op='sum')
        exposure = packed[:-1].view(2, -1).numpy().astype(np.int64)
        summary = self._summary(runner.epoch, exposure)
        summary['num_fakes_with_feedback'] = seen
        summary['num_nonfinite_feedback_skipped'] = int(packed[-1])
        self.num_skipped = 0
        self._exposure_counts.zero_()
        msg = ', '.join(f'{k}={v}' for k, v in summary.items()
                        if k not in ('per_method', 'per_fqs_quartile'))
        runner.logger.info(f'QualityScoreHook epoch {runner.epoch + 1}: {msg}')
        for method, stats in summary['per_method'].items():
            runner.logger.info(f'  {method}: {stats}')
        for stats in summary.get('per_fqs_quartile', []):
            runner.logger.info(f'  FQS quartile {stats["quartile"]}: {stats}')
        for key in ('hard_fraction', 'beta', 'freda_share', 'mean_fqs'):
            if summary.get(key) is not None:
                runner.message_hub.update_scalar(f'quality/{key}',
                                                 summary[key])
        if is_main_process():
            self._write(runner, summary)

    def _plan(self, epoch: int):
        """The plan the sampler yielded for ``epoch`` (None for samplers
        that plan nothing)."""
        plan = None if self.sampler is None else self.sampler.last_plan
        return plan if plan is not None and plan.epoch == epoch else None

    @staticmethod
    def _exposure(exposure: np.ndarray, members: np.ndarray) -> dict:
        """How often ``members`` were trained on this epoch, and how often
        through FreDA."""
        return dict(visits=int(exposure[0][members].sum()),
                    freda_visits=int(exposure[1][members].sum()))

    def _summary(self, epoch: int, exposure: np.ndarray) -> dict:
        store, fake = self.store, self.labels == 1
        plan = self._plan(epoch)
        self._last_plan = plan
        summary = dict(epoch=epoch + 1, num_fakes=int(fake.sum()))
        if plan is not None:
            summary.update(num_hard=plan.num_hard, num_easy=plan.num_easy,
                           hard_fraction=round(plan.hard_fraction, 6),
                           beta=round(plan.beta, 6))
        summary.update(self._exposure(exposure, fake))
        summary['freda_share'] = round(
            summary['freda_visits'] / max(summary['visits'], 1), 6)
        summary['mean_fqs'] = _mean(store.fqs[fake])
        # what the curriculum promises to raise: the realism of raw visits
        summary['mean_fqs_raw'] = _weighted_mean(
            store.fqs[fake], (exposure[0] - exposure[1])[fake])
        per_method = {}
        for method in sorted(set(self.methods[fake])):
            m = fake & (self.methods == method)
            stats = dict(count=int(m.sum()), static=_mean(store.static[m]),
                         dynamic=_mean(store.dynamic[m]),
                         fqs=_mean(store.fqs[m]))
            if plan is not None:
                stats['num_easy'] = int(plan.planned_easy[m].sum())
            stats.update(self._exposure(exposure, m))
            per_method[method] = stats
        summary['per_method'] = per_method
        summary['per_fqs_quartile'] = self._quartiles(exposure, fake)
        return summary

    def _quartiles(self, exposure: np.ndarray, fake: np.ndarray) -> list:
        """Exposure per quartile of the FQS that planned the epoch (1 = least
        realistic); fakes without an FQS are left out."""
        fqs = self.store.fqs
        scored = fake & np.isfinite(fqs)
        if not scored.any():
            return []
        edges = np.quantile(fqs[scored], [0.25, 0.5, 0.75])
        quartile = np.searchsorted(edges, fqs, side='right')
        rows = []
        for q in range(4):
            m = scored & (quartile == q)
            rows.append(dict(quartile=q + 1, count=int(m.sum()),
                             **self._exposure(exposure, m)))
        return rows

    def _write(self, runner, summary: dict) -> None:
        store, fake = self.store, self.labels == 1
        idx = np.flatnonzero(fake)
        samples = dict(index=idx.tolist(),
                       method=self.methods[idx].tolist(),
                       static=_json_list(store.static[idx]),
                       dynamic=_json_list(store.dynamic[idx]),
                       fqs=_json_list(store.fqs[idx]))
        plan = self._last_plan
        if plan is not None:
            samples['easy'] = plan.planned_easy[idx].tolist()
            samples['visits'] = plan.visits[idx].tolist()
        out_dir = osp.join(runner.work_dir, self.out_dir)
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, f'epoch_{summary["epoch"]}.json')
        write_json_atomic(path, dict(summary, samples=samples), indent=None)

    # ----------------------------------------------------------- checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.store is None:
            return
        # a checkpoint saved mid-epoch (by iterations) holds the feedback
        # kept so far: recorded now, it is the same sum at the epoch's end
        self._flush_feedback()
        state = dict(store=self.store.state_dict())
        if self.sampler is not None:
            state['sampler'] = self.sampler.state_dict()
        checkpoint[CKPT_KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Only a resume restores the curriculum; ``load_from`` starts a new
        one on the current data."""
        state = checkpoint.get(CKPT_KEY)
        if state is None or self.store is None or \
                not getattr(runner, '_resume', False):
            return
        self.store.load_state_dict(state['store'])
        if self.sampler is not None and 'sampler' in state:
            self.sampler.load_state_dict(state['sampler'])
        runner.logger.info('QualityScoreHook: restored quality scores and '
                           'curriculum state from the checkpoint')
