"""One study run: a repo config trained without validation or checkpoints,
its last epoch tested (frame and video AUC, AUC by true-quality tercile,
fake exposure), the metrics stored so an interrupted study resumes."""
import json
import os
import os.path as osp
import pickle
import time
from pathlib import Path

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from qcdet.datasets.annotation_file import load_annotation
from studies.paths import REPO


def make_config(config: str, seed: int, work_dir: str, epochs: int,
                num_workers: int, train: dict, test: dict,
                img_size: int = None) -> Config:
    """A repo config set up for one study run: no validation, no checkpoints,
    quiet logs.

    ``train``/``test`` update the datasets (e.g. ``data_root``, ``ann_file``);
    ``img_size`` replaces the pipelines' Resize scale.
    """
    cfg = Config.fromfile(str(REPO / config))
    cfg.work_dir = work_dir
    cfg.experiment_name = f'study_{os.getpid()}_{time.time_ns()}'
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs,
                         val_interval=epochs + 1)
    cfg.val_dataloader, cfg.val_cfg, cfg.val_evaluator = None, None, None
    # the last epoch is tested straight from memory
    cfg.default_hooks.checkpoint = None
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
    """Frame AUC of every real against the held-out fakes of each true-quality
    tercile (q < 1/3, < 2/3, rest): where the detector generalises, on crude or
    on realistic fakes. ``dataset``: the tested dataset config."""
    from sklearn.metrics import roc_auc_score
    records = load_annotation(
        osp.join(dataset['data_root'], dataset['ann_file']))['data_list']
    quality = {r['img_path']: r.get('true_quality') for r in records}
    with open(predictions, 'rb') as f:
        samples = pickle.load(f)
    scores, labels, terciles = [], [], []
    for sample in samples:
        q = quality[osp.relpath(sample['img_path'], dataset['data_root'])]
        scores.append(float(sample['pred_score'][1]))
        labels.append(int(sample['gt_label']))
        terciles.append(None if q is
                        None else QUALITY_TERCILES[min(int(q * 3), 2)])
    scores, labels = np.asarray(scores), np.asarray(labels)
    out = {}
    for name in QUALITY_TERCILES:
        keep = (labels == 0) | np.array([t == name for t in terciles])
        out[name] = float(roc_auc_score(
            labels[keep], scores[keep])) if labels[keep].any() else None
    return out


def fake_exposure(runner: Runner) -> dict:
    """Fake visits and FreDA'd fake visits over the run, from
    QualityScoreHook's epoch files; a run without the hook visits every fake
    once per epoch, through FreDA when its FreqAugment applies to all fakes."""
    visits = freda = 0
    for path in sorted(Path(runner.work_dir).glob('quality/epoch_*.json')):
        for method_stats in json.loads(
                path.read_text())['per_method'].values():
            visits += method_stats.get('visits', method_stats['count'])
            freda += method_stats.get('freda_visits',
                                      method_stats.get('num_easy', 0))
    if not visits:
        dataset = runner.train_dataloader.dataset
        visits = int(np.sum(dataset.get_labels() == 1)) * runner.max_epochs
        if any(
                getattr(t, 'apply_to', None) == 'all_fakes'
                for t in dataset.pipeline.transforms):
            freda = visits
    return dict(fake_visits=visits, freda_visits=freda)


def run_one(result_path: str, cfg: Config, tests: dict = None, **info) -> dict:
    """Trains ``cfg``, tests its last epoch and stores the metrics; reuses a
    stored result.

    ``tests``: ``{name: ann_file}`` (under the test dataset's ``data_root``) to
    test the one trained model on several sets; the result then holds ``tests:
    {name: metrics}``, else the metrics of the config's test set.
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
        runner._test_evaluator = [
            cfg.test_evaluator,
            dict(type='DumpResults', out_file_path=predictions)
        ]
        runner._test_loop = runner.build_test_loop(
            dict(cfg.get('test_cfg') or dict()))
        metrics = runner.test_loop.run()
        metrics_of[name] = dict(
            frame_auc=float(metrics['frame_auc']), video_auc=float(
                metrics['video_auc']), num_frames=int(metrics['num_frames']),
            num_videos=int(metrics['num_videos']),
            frame_auc_by_quality=auc_by_quality(predictions, dataset))
    result = dict(info, epochs=cfg.train_cfg.max_epochs,
                  seconds=round(time.time() - start,
                                1), **fake_exposure(runner))
    if tests:
        result['tests'] = metrics_of
    else:
        result.update(metrics_of[None])
    os.makedirs(osp.dirname(result_path), exist_ok=True)
    with open(result_path, 'w') as f:
        json.dump(result, f, indent=1)
    return result
