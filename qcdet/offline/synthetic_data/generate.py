"""Writes the synthetic demo dataset to disk, laid out like a real
preprocessed deepfake dataset.

Layout under ``out_dir``::

    real/<video>/<frame:03d>.png
    fake/<method>/<video>/<frame:03d>.png
    annotations/{train,val,test}.json      (MMEngine format, see
    docs/contracts.md)

Every random draw comes from a generator seeded by ``(seed, stream,
identity, video, family)``, so the output bytes depend only on the arguments,
not on the number of workers or the order jobs finish in.
"""
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from qcdet.utils.atomic_files import write_json_atomic
from qcdet.utils.dataset_names import SPLITS
from qcdet.utils.worker_pool import worker_context

from . import forgeries_v3
from .faces import (
    Identity,
    render_background,
    render_frame,
    sample_identity,
    sample_poses,
)
from .forgeries import families_for
from .forgeries_v3 import (
    V3_CONTROLS,
    V3_HELD_OUT,
    V3_TRAIN_FAMILIES,
    jpeg_roundtrip,
    sample_codec_quality,
)

__all__ = [
    'generate_demo_dataset', 'split_identities', 'format_summary', 'SPLITS'
]

DATASET_NAME = 'demo'
MARKER_FILE = '.qcdet_demo_data'
_OWNED_DIRS = ('real', 'fake', 'annotations')
# independent random streams
(_IDENTITY_STREAM, _SPLIT_STREAM, _VIDEO_STREAM, _FAKE_STREAM,
 _CODEC_STREAM) = range(5)


def identity_name(index: int) -> str:
    return f'id{index:03d}'


def split_identities(num_identities: int,
                     seed: int,
                     val_fraction: float = 0.2,
                     test_fraction: float = 0.2) -> Dict[str, List[int]]:
    """Assigns whole identities to splits (no identity is in two splits);
    val/test get at least one."""
    if num_identities < 3:
        raise ValueError(
            'need at least 3 identities (one per split), got '
            f'num_identities={num_identities}')
    order = np.random.default_rng([seed, _SPLIT_STREAM
                                   ]).permutation(num_identities).tolist()
    num_val = max(1, int(round(val_fraction * num_identities)))
    num_test = max(1, int(round(test_fraction * num_identities)))
    if num_val + num_test >= num_identities:
        num_val = num_test = (num_identities - 1) // 2
    return dict(train=sorted(order[num_val + num_test:]),
                val=sorted(order[:num_val]),
                test=sorted(order[num_val:num_val + num_test]))


def _write_png(path: str, image: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, image):
        raise OSError(f'could not write image {path}')


def _landmark_list(frame) -> List[List[float]]:
    """The frame's 68 points as the annotation stores them: ``[x, y]`` in
    the image's pixels, 2 decimals (the key and format that
    ``tools/data/preprocess.py --landmarks`` writes). A fake gets its real
    frame's points: the same pose and face outline (a ``blend_swap``'s inner
    features are its donor's, so there its eye, brow, nose and mouth points
    are the target's)."""
    return [[round(float(x), 2), round(float(y), 2)]
            for x, y in frame.landmarks]


def _make_video(job: Dict) -> List[Dict]:
    """Renders one real video and every family's fake of it; writes the frames,
    returns their records."""
    out_dir, seed, size = job['out_dir'], job['seed'], job['size']
    id_index, video_index = job['id_index'], job['video_index']
    identity: Identity = job['identity']
    video = f'{identity_name(id_index)}_v{video_index}'
    v3 = job['benchmark'] == 'v3'
    codec_quality = None
    if v3:
        # the parent's calibration, also in a fresh worker process
        forgeries_v3.set_calibration(job['calibration'])
        codec_quality = sample_codec_quality(
            np.random.default_rng(
                [seed, _CODEC_STREAM, id_index, video_index]))

    def encode(image: np.ndarray) -> np.ndarray:
        """v3's codec, the same for a real video and all its fakes."""
        return jpeg_roundtrip(image, codec_quality) if v3 else image

    def v3_keys() -> Dict:
        return dict(codec_quality=codec_quality) if v3 else {}

    rng = np.random.default_rng([seed, _VIDEO_STREAM, id_index, video_index])
    poses = sample_poses(rng, job['frames_per_video'], size)
    noise_sigma = float(rng.uniform(2.0, 3.0))
    frames = [
        render_frame(identity, pose, size, render_background(identity, size),
                     noise_sigma, rng) for pose in poses
    ]

    records = []
    real_paths = []
    for frame_idx, frame in enumerate(frames):
        rel = f'real/{video}/{frame_idx:03d}.png'
        _write_png(osp.join(out_dir, rel), encode(frame.image))
        real_paths.append(rel)
        records.append(
            dict(img_path=rel,
                 label=0,
                 video_id=f'{DATASET_NAME}/real/{video}',
                 dataset=DATASET_NAME,
                 method='real',
                 frame_idx=frame_idx,
                 identity=identity_name(id_index),
                 pair_path=None,
                 static_quality=None,
                 true_quality=None,
                 landmarks=_landmark_list(frame),
                 **v3_keys()))
    families = families_for(job['benchmark'])
    for method in job['families']:
        family = families[method]
        family_index = list(families).index(method)
        fake_rng = np.random.default_rng(
            [seed, _FAKE_STREAM, id_index, video_index, family_index])
        q = round(float(fake_rng.uniform(0, 1)), 4)
        if getattr(family, 'fixed_quality', None) is not None:
            q = family.fixed_quality  # drawn all the same: same streams
        params = family.sample_params(fake_rng, identity, job['donors'])
        extra = dict(shortcuts=False) if job['without_shortcuts'] else {}
        for frame_idx, frame in enumerate(frames):
            rel = f'fake/{method}/{video}/{frame_idx:03d}.png'
            _write_png(
                osp.join(out_dir, rel),
                encode(family.apply(frame, q, params, fake_rng, **extra)))
            records.append(
                dict(img_path=rel,
                     label=1,
                     video_id=f'{DATASET_NAME}/{method}/{video}',
                     dataset=DATASET_NAME,
                     method=method,
                     frame_idx=frame_idx,
                     identity=identity_name(id_index),
                     pair_path=real_paths[frame_idx],
                     static_quality=None,
                     true_quality=q,
                     landmarks=_landmark_list(frame),
                     **v3_keys()))
    return records


def _init_worker() -> None:
    cv2.setNumThreads(1)


def _prepare_out_dir(out_dir: str) -> None:
    """Clears a previous demo dataset in ``out_dir``; refuses to touch a
    directory it did not create."""
    if osp.isdir(out_dir) and os.listdir(out_dir):
        if not osp.exists(osp.join(out_dir, MARKER_FILE)):
            raise FileExistsError(
                f'{out_dir} is not empty and holds no {MARKER_FILE} marker '
                'of an earlier demo dataset; refusing to overwrite it '
                '(choose another --out)')
        for name in _OWNED_DIRS:
            shutil.rmtree(osp.join(out_dir, name), ignore_errors=True)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    with open(osp.join(out_dir, MARKER_FILE), 'w') as f:
        f.write('synthetic demo data written by qcdet '
                '(tools/data/make_demo_data.py)\n')


def generate_demo_dataset(out_dir: str,
                          seed: int = 0,
                          num_identities: int = 100,
                          videos_per_identity: int = 1,
                          frames_per_video: int = 8,
                          size: int = 64,
                          families: Optional[Sequence[str]] = None,
                          workers: int = 1,
                          benchmark: str = 'v1',
                          without_shortcuts: bool = False) -> Dict:
    """Generates the demo dataset into ``out_dir`` and returns a summary
    (counts per split and method).

    ``out_dir`` must be empty, missing, or an earlier output of this function
    (which is replaced).

    ``benchmark`` picks the forgery families: 'v1' (fine traces only) or
    'v2' (plus coarse, low-frequency cues; see ``CueFamily``). v2's
    annotation metainfo says ``benchmark='v2'``; v1's carries no such key, so
    its files stay as they were before v2 existed, but for the ``landmarks``
    every record carries (68 ``[x, y]``, ``face_landmarks``).

    'v3' (``forgeries_v3``): family-specific smooth shortcuts over a weak
    shared trace, every frame (real or fake) through a JPEG codec; its
    records also carry ``codec_quality``. ``without_shortcuts=True`` (v3
    only) writes the oracle dataset: the same bytes except that every
    family's shortcut is zeroed (metainfo ``shortcuts: false``).
    """
    if without_shortcuts and benchmark != 'v3':
        raise ValueError('without_shortcuts needs benchmark v3, got '
                         f'{benchmark!r}')
    known = families_for(benchmark)
    families = list(known) if families is None else list(families)
    unknown = [name for name in families if name not in known]
    if unknown:
        raise KeyError(
            f'unknown forgery families {unknown}; known: {list(known)}')
    for key, value, low in (('videos_per_identity', videos_per_identity,
                             1), ('frames_per_video', frames_per_video, 1),
                            ('size', size, 16), ('workers', workers, 1)):
        if value < low:
            raise ValueError(f'{key} must be >= {low}, got {value}')
    splits = split_identities(num_identities, seed)
    start = time.time()
    out_dir = osp.abspath(out_dir)
    _prepare_out_dir(out_dir)

    identities = [
        sample_identity(np.random.default_rng([seed, _IDENTITY_STREAM, i]))
        for i in range(num_identities)
    ]
    split_of = {i: name for name, members in splits.items() for i in members}
    jobs = []
    for id_index in range(num_identities):
        # donors for face swaps come from the same split, so no face crosses a
        # split boundary
        donors = [
            identities[j] for j in splits[split_of[id_index]] if j != id_index
        ]
        for video_index in range(videos_per_identity):
            jobs.append(
                dict(out_dir=out_dir,
                     seed=seed,
                     size=size,
                     frames_per_video=frames_per_video,
                     id_index=id_index,
                     video_index=video_index,
                     identity=identities[id_index],
                     donors=donors,
                     families=families,
                     benchmark=benchmark,
                     without_shortcuts=without_shortcuts,
                     calibration=forgeries_v3.calibration()))
    if workers > 1:
        with worker_context(__name__).Pool(workers,
                                           initializer=_init_worker) as pool:
            results = pool.map(_make_video, jobs, chunksize=1)
    else:
        results = [_make_video(job) for job in jobs]

    data_lists = {name: [] for name in SPLITS}
    for job, records in zip(jobs, results):
        data_lists[split_of[job['id_index']]].extend(records)
    summary = dict(out_dir=out_dir,
                   seed=seed,
                   size=size,
                   benchmark=benchmark,
                   without_shortcuts=without_shortcuts,
                   families=families,
                   num_identities=num_identities,
                   videos_per_identity=videos_per_identity,
                   frames_per_video=frames_per_video,
                   splits={},
                   annotation_files={})
    for name in SPLITS:
        metainfo = dict(dataset=DATASET_NAME,
                        classes=['real', 'fake'],
                        split=name,
                        seed=seed,
                        image_size=size,
                        methods=['real'] + families)
        if benchmark != 'v1':
            metainfo['benchmark'] = benchmark
        if benchmark == 'v3':
            metainfo.update(shortcuts=not without_shortcuts,
                            codec='jpeg',
                            roles=dict(train=list(V3_TRAIN_FAMILIES),
                                       held_out=[V3_HELD_OUT],
                                       controls=list(V3_CONTROLS)),
                            calibration=forgeries_v3.calibration())
        path = osp.join(out_dir, 'annotations', f'{name}.json')
        write_json_atomic(path,
                           dict(metainfo=metainfo, data_list=data_lists[name]))
        counts = {method: 0 for method in ['real'] + families}
        for record in data_lists[name]:
            counts[record['method']] += 1
        summary['splits'][name] = dict(
            identities=[identity_name(i) for i in splits[name]],
            frames=counts,
            total=len(data_lists[name]))
        summary['annotation_files'][name] = path
    summary['num_frames'] = sum(split['total']
                                for split in summary['splits'].values())
    summary['seconds'] = round(time.time() - start, 2)
    return summary


def format_summary(summary: Dict) -> str:
    """A small table of frame counts per split and method."""
    methods = ['real'] + list(summary['families'])
    width = max(len(m) for m in methods + ['split']) + 2
    lines = [
        f"demo dataset in {summary['out_dir']} "
        f"({summary['num_frames']} frames, "
        f"{summary['size']}x{summary['size']} px, "
        f"benchmark {summary['benchmark']}"
        f"{' without shortcuts' if summary.get('without_shortcuts') else ''}, "
        f"seed {summary['seed']}, "
        f"{summary['seconds']} s)", 'split'.ljust(7) + 'ids'.rjust(5) +
        ''.join(m.rjust(width) for m in methods) + 'total'.rjust(8)
    ]
    for name, split in summary['splits'].items():
        lines.append(
            name.ljust(7) + str(len(split['identities'])).rjust(5) +
            ''.join(str(split['frames'][m]).rjust(width)
                    for m in methods) + str(split['total']).rjust(8))
    return '\n'.join(lines)
