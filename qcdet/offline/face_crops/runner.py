"""Run the pipeline over a whole dataset: parallel over (real + its fakes)
groups, resumable, failures counted instead of stopping, annotation files
written at the end (atomically)."""
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Tuple

from qcdet.faces import (
    DEFAULT_FACE_DETECTOR,
    FaceCropper,
    default_detector_cfg,
    dlib_model_path,
    import_optional,
)
from qcdet.utils.atomic_files import write_json_atomic
from qcdet.utils.progress import progress_bar
from qcdet.utils.worker_pool import worker_context

from .layouts import SPLITS, DatasetLayout, VideoItem
from .pipeline import (
    FaceLocator,
    OutputLayout,
    PreprocessConfig,
    failure_result,
    process_group,
)

__all__ = ['group_videos', 'preprocess_dataset', 'build_annotations',
           'format_summary']

Group = Tuple[Optional[VideoItem], List[VideoItem]]


def group_videos(items: List[VideoItem]) -> List[Group]:
    """One group per real with the fakes made from it, then one group per
    fake that has no listed real."""
    by_key = {it.key: it for it in items}
    fakes_of = defaultdict(list)
    groups = []
    for it in items:
        if it.label == 1:
            if it.pair_key in by_key:
                fakes_of[it.pair_key].append(it)
            else:
                groups.append((None, [it]))
    reals = [(it, fakes_of[it.key]) for it in items if it.label == 0]
    return reals + groups


# ---------------------------------------------------------------- workers
_WORKER = {}


def _init_worker(detector, detector_cfg, cfg, out_root):
    cropper = FaceCropper(detector, size=cfg.size, margin=cfg.margin,
                          detector_cfg=detector_cfg)
    _WORKER.update(locate=FaceLocator(cropper), cfg=cfg,
                   out=OutputLayout(out_root))


def _run_group(task):
    real, fakes, done = task
    try:
        return process_group(real, fakes, _WORKER['locate'], _WORKER['out'],
                             _WORKER['cfg'], done)
    except Exception as e:  # a bug or I/O error: record it, keep going
        videos = ([real] if real is not None else []) + fakes
        results = []
        for v in videos:
            if v.key in done:
                continue
            marker = _WORKER['out'].load_done(v.key)  # finished before it
            results.append(marker or failure_result(
                v, 'error', f'{type(e).__name__}: {e}'))
        return results


# -------------------------------------------------------------- outputs
def build_annotations(layout: DatasetLayout, items: List[VideoItem],
                      markers: Dict[str, dict], out_root: str) -> dict:
    """Write ``annotations/{train,val,test}.json`` (qcdet format) and
    ``deepfakebench/<Dataset>.json`` from the done markers; returns the
    frame count per split."""
    per_split = {s: [] for s in SPLITS}
    dfb = {}
    comp = layout.deepfakebench_compression
    for it in items:
        marker = markers.get(it.key)
        if marker is None or not marker['records']:
            continue
        per_split.setdefault(it.split, []).extend(marker['records'])
        label_name = layout.deepfakebench_label(it)
        videos = dfb.setdefault(label_name, {}).setdefault(it.split, {})
        if comp:
            videos = videos.setdefault(comp, {})
        videos[it.name] = dict(label=label_name,
                               frames=[r['img_path']
                                       for r in marker['records']])
    counts = {}
    for split, records in per_split.items():
        records.sort(key=lambda r: (r['video_id'], r['frame_idx']))
        write_json_atomic(
            osp.join(out_root, 'annotations', f'{split}.json'),
            dict(metainfo=dict(dataset=layout.dataset,
                               classes=['real', 'fake']),
                 data_list=records))
        counts[split] = len(records)
    write_json_atomic(
        osp.join(out_root, 'deepfakebench',
                 f'{layout.deepfakebench_name}.json'),
        {layout.deepfakebench_name: dfb})
    return counts


def _landmark_counts(markers) -> dict:
    """Frames with and without the 68 points (a --landmarks run)."""
    without = {k: m['no_landmarks'] for k, m in sorted(markers.items())
               if m.get('no_landmarks')}
    missing = sum(len(v) for v in without.values())
    frames = sum(len(m['records']) for m in markers.values())
    return dict(frames_with_landmarks=frames - missing,
                frames_no_landmarks=missing, no_landmarks=without)


def _summarise(items, markers, failures, skipped, processed, counts):
    sampled = with_face = 0
    for result in list(markers.values()) + list(failures.values()):
        sampled += result['frames_sampled']
        with_face += result['frames_with_face']
    fakes = [it for it in items if it.label == 1]
    paired_videos, unpaired = 0, {}
    fake_frames = paired_frames = 0
    for it in fakes:
        marker = markers.get(it.key)
        if marker is None:
            continue
        recs = marker['records']
        n_paired = sum(1 for r in recs if r.get('pair_path'))
        fake_frames += len(recs)
        paired_frames += n_paired
        if n_paired:
            paired_videos += 1
        else:
            unpaired[it.key] = next(
                (r.get('pair_missing_reason') for r in recs),
                it.pair_missing_reason)
    notes = {it.key: markers[it.key]['notes'] for it in items
             if it.key in markers and markers[it.key]['notes']}
    return dict(
        videos=len(items), done=len(markers), failed=len(failures),
        skipped_already_done=skipped, processed_now=processed,
        failures={k: v['reason'] for k, v in sorted(failures.items())},
        failure_counts=dict(Counter(v['kind'] for v in failures.values())),
        frames_sampled=sampled, frames_with_face=with_face,
        face_found_rate=round(with_face / sampled, 4) if sampled else 0.0,
        fake_videos=len(fakes), fake_videos_paired=paired_videos,
        fake_frames=fake_frames, fake_frames_paired=paired_frames,
        unpaired_fakes=unpaired, notes=notes, annotation_frames=counts)


def format_summary(summary: dict) -> str:
    lines = [f"videos: {summary['videos']}  done: {summary['done']}  "
             f"failed: {summary['failed']}  skipped (already done): "
             f"{summary['skipped_already_done']}  processed now: "
             f"{summary['processed_now']}",
             f"failures by kind: {summary['failure_counts']}",
             f"frames with a face: {summary['frames_with_face']}/"
             f"{summary['frames_sampled']} "
             f"({100 * summary['face_found_rate']:.1f}%)",
             f"fakes paired: {summary['fake_videos_paired']}/"
             f"{summary['fake_videos']} videos, "
             f"{summary['fake_frames_paired']}/{summary['fake_frames']} "
             f"frames",
             f"annotation frames: {summary['annotation_frames']}"]
    if summary.get('landmarks68'):
        lines.append(f"68-point landmarks: {summary['frames_with_landmarks']}"
                     f"/{summary['frames_with_face']} frames with a face "
                     f"({summary['frames_no_landmarks']} without: records "
                     f"kept, no 'landmarks' key)")
        for key, frames in summary['no_landmarks'].items():
            for idx, why in frames.items():
                lines.append(f'  no landmarks {key} frame {idx}: {why}')
    for key, reason in summary['unpaired_fakes'].items():
        lines.append(f'  unpaired {key}: {reason}')
    for key, reason in summary['failures'].items():
        lines.append(f'  FAILED {key}: {reason}')
    return '\n'.join(lines)


# ------------------------------------------------------------------- main
def preprocess_dataset(layout: DatasetLayout, out_root: str,
                       num_frames: int = 32, size: int = 256,
                       margin: float = 1.3,
                       detector: str = DEFAULT_FACE_DETECTOR,
                       detector_cfg: Optional[dict] = None,
                       workers: int = 1, progress: bool = True,
                       landmarks: bool = False) -> dict:
    """Crop every video of ``layout`` into ``out_root``; returns (and saves
    as ``summary.json``) the run summary. Videos with a done marker are
    skipped; failed videos are retried on the next run.

    ``landmarks`` also stores dlib's 68 points of every crop, in the crop's
    pixels, in its record as ``landmarks`` (a list of 68 ``[x, y]``); a
    frame whose points cannot be found keeps its record without the key and
    is counted (``frames_no_landmarks``). Videos done by a run without
    ``landmarks`` are done again.
    """
    cfg = PreprocessConfig(num_frames=num_frames, size=size, margin=margin,
                           landmarks68=landmarks)
    if landmarks:  # fail here, not in every frame of every worker
        dlib_model_path('shape_predictor_68')
        import_optional('dlib', '--landmarks')
    if detector_cfg is None:
        detector_cfg = default_detector_cfg(detector)
    out = OutputLayout(out_root)
    items = layout.items()
    markers = {}
    for it in items:
        marker = out.load_done(it.key)
        if marker is not None and marker.get('status') == 'done' and (
                marker.get('landmarks68') or not landmarks):
            markers[it.key] = marker
    skipped = len(markers)
    tasks = []
    for real, fakes in group_videos(items):
        videos = ([real] if real is not None else []) + fakes
        if any(v.key not in markers for v in videos):
            done = {v.key: markers[v.key] for v in videos if v.key in markers}
            tasks.append((real, fakes, done))
    todo = sum(len(f) + (r is not None) - len(d) for r, f, d in tasks)

    failures = {}
    bar = progress_bar(todo, unit='video') if progress and todo else None

    def collect(results):
        for result in results:
            if result['status'] == 'done':
                markers[result['key']] = result
            else:
                failures[result['key']] = result
        if bar is not None:
            bar.update(len(results))

    init_args = (detector, detector_cfg, cfg, out_root)
    try:
        if workers <= 1 or len(tasks) <= 1:
            _init_worker(*init_args)
            for task in tasks:
                collect(_run_group(task))
        else:
            with worker_context(__name__).Pool(
                    min(workers, len(tasks)), _init_worker,
                    init_args) as pool:
                for results in pool.imap_unordered(_run_group, tasks):
                    collect(results)
    finally:
        if bar is not None:
            bar.close()

    counts = build_annotations(layout, items, markers, out_root)
    summary = _summarise(items, markers, failures, skipped,
                         len(markers) - skipped + len(failures), counts)
    summary.update(dataset=layout.dataset, detector=detector,
                   detector_cfg=detector_cfg, num_frames=num_frames,
                   size=size, margin=margin)
    if landmarks:
        summary.update(landmarks68=True, **_landmark_counts(markers))
    write_json_atomic(osp.join(out_root, 'summary.json'), summary)
    return summary
