"""The pair band cache: each real frame's low-frequency band, stored once, so
that FreDA (``FreqAugment``) mixes a fake without decoding its pair.

FreDA only takes the real's spectrum on the few bins a low-pass mask keeps
(``qcdet.utils.freda``: ``x_fake + iDFT(M * (F_real - F_fake))``). This
module stores those bins for every real that a training set pairs with a
fake: one float32 ``.npy`` (memory-mapped, shared by every DataLoader worker
and every process of a machine through the page cache) and a ``.json``
beside it that says where each frame's block is and what it was built from.

Why a file written ahead, and not a cache filled while training: a fake's
pair recurs about once per epoch with shuffled sampling, so a cache filled
lazily would only pay off from the second epoch on, would be filled again by
every worker of every process, and would have to hold the whole training set
in each worker's memory. The file is written once (by
``tools/quality/score_static.py`` beside the annotation it writes, or by
``QualityScoreHook`` before training when it is missing or stale), read by
offset, and costs ~12 KB per 256 px real at the default radius.

Layout of frame ``f`` (``frames[relpath] = [offset, H, W, C, a, K, size,
mtime_ns]``): ``values[offset : offset + (2a+1)*C*2*K]`` reshaped to
``(2a+1, C, 2, K)``: the real's rfft2 (of the BGR image, as ``read_image``
gives it) on rows of frequency ``u = -a..a``, every channel, real and
imaginary parts, columns ``v = 0..K-1``; ``(a, K)`` is the bounding box of a
square low-pass mask of Nyquist radius ``radius`` at the frame's size
(``band_extent``), so any mask of a smaller radius fits, circle or square.

What is checked before training (``attach_pair_bands``), on every process:
the two files belong together (value count and probe values), every pair of
the dataset has a block, each pair file has the size and modification time
it had when its block was written, and each FreqAugment's largest mask fits
in the band at each frame size. Anything else is rebuilt (blocks still valid
are copied, not recomputed) or, with ``rebuild=False``, refused with the
reason and the command that rebuilds it.
"""
import json
import logging
import os
import os.path as osp
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import barrier, get_dist_info, get_local_rank
from mmengine.logging import print_log

from qcdet.utils.freda import band_extent, band_limits, freda_mask, real_band

from .transforms.freq_augment import FreqAugment
from .transforms.loading import read_image

__all__ = [
    'DEFAULT_BAND_RADIUS', 'PairBandCache', 'PairBandError',
    'band_cache_prefix', 'build_pair_bands', 'cache_problems',
    'dataset_pairs', 'attach_pair_bands', 'stored_extent',
    'write_annotation_bands'
]

FORMAT = 'qcdet-freda-pair-bands'
VERSION = 1
#: Nyquist radius the cache is built for: every shipped config asks for
#: ``radius_ratio=0.1`` (band 3.2 cycles at 64 px); 0.125 leaves room for a
#: cosine edge or a slightly larger radius without a rebuild
DEFAULT_BAND_RADIUS = 0.125
SUFFIX = '.pair_bands'
_HEADER_BYTES = 128  # the .npy header of a 1-D float32 array, padded
_NUM_PROBES = 8
REBUILD_HINT = (
    'rebuild it with `python tools/quality/score_static.py ANN --out '
    'ANN_OUT` (it writes the cache beside ANN_OUT), or let '
    'QualityScoreHook(pair_bands_rebuild=True) rebuild it before training; '
    'QualityScoreHook(pair_bands=None) reads the pairs instead')


class PairBandError(RuntimeError):
    """A band cache that cannot be used, with the reason."""


def band_cache_prefix(ann_file: str) -> str:
    """Where the cache of an annotation file lives: beside it, e.g.
    ``annotations/train_static.json`` -> ``annotations/train_static
    .pair_bands`` (``.npy`` and ``.json``)."""
    ann_file = str(ann_file)
    stem = ann_file[:-5] if ann_file.endswith('.json') else ann_file
    return stem + SUFFIX


def _prefix(path: str) -> str:
    path = str(path)
    for ext in ('.npy', '.json'):
        if path.endswith(ext):
            return path[:-len(ext)]
    return path


def stored_extent(height: int, width: int,
                  radius: float) -> Tuple[int, int]:
    """``(a, K)`` a frame of this size is stored with: the bounding box of a
    square mask of Nyquist radius ``radius`` (which holds every circle or
    square mask of a smaller radius), within ``band_limits``."""
    a, k = band_extent(freda_mask(height, width, radius, 'square'))
    max_a, max_k = band_limits(height, width)
    return min(a, max_a), min(k, max_k)


def _local_rank() -> int:
    """This process's rank on its machine: MMEngine's local group where it
    exists, else ``LOCAL_RANK`` (torchrun), else the global rank."""
    try:
        return get_local_rank()
    except RuntimeError:  # no local group (a process group made elsewhere)
        return int(os.environ.get('LOCAL_RANK', get_dist_info()[0]))


def _stat(path: str) -> Tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


class PairBandCache:
    """A band cache on disk: its metadata in memory, its values memory-mapped
    on first use in each process (never pickled: a DataLoader worker, forked
    or spawned, opens its own map).

    Args:
        prefix: path without ``.npy``/``.json``.
        meta: the parsed ``.json`` (see the module docstring).
    """

    def __init__(self, prefix: str, meta: dict) -> None:
        self.prefix = _prefix(prefix)
        self.meta = meta
        self.radius = float(meta['radius'])
        self.frames: Dict[str, list] = meta['frames']
        self._values = None
        self._pid = None

    @property
    def npy_path(self) -> str:
        return self.prefix + '.npy'

    @property
    def json_path(self) -> str:
        return self.prefix + '.json'

    @classmethod
    def open(cls, prefix: str) -> 'PairBandCache':
        """Reads the metadata and checks that the ``.npy`` is the one it
        describes; a ``PairBandError`` says why not."""
        prefix = _prefix(prefix)
        if not (osp.isfile(prefix + '.json') and osp.isfile(prefix + '.npy')):
            raise PairBandError(f'no band cache at {prefix}.npy/.json')
        try:
            with open(prefix + '.json') as f:
                meta = json.load(f)
        except (OSError, ValueError) as err:
            raise PairBandError(f'{prefix}.json cannot be read ({err})')
        if not isinstance(meta, dict) or meta.get('format') != FORMAT or \
                meta.get('version') != VERSION:
            raise PairBandError(
                f'{prefix}.json is not a version-{VERSION} {FORMAT} file')
        cache = cls(prefix, meta)
        values = cache.values
        if values.dtype != np.float32 or values.ndim != 1 or \
                len(values) != meta['num_values']:
            raise PairBandError(
                f'{prefix}.npy holds {values.dtype} {values.shape}, its .json '
                f'describes {meta["num_values"]} float32 values: the two '
                'files do not belong together')
        probe = values[_probe_positions(len(values))].tolist()
        if probe != meta['probe']:
            raise PairBandError(
                f'{prefix}.npy is not the file its .json was written with '
                '(its probe values differ)')
        return cache

    @property
    def values(self) -> np.ndarray:
        """The memory-mapped values, opened once per process."""
        if self._values is None or self._pid != os.getpid():
            # a plain ndarray on the map: slicing a np.memmap costs ~10 us
            self._values = np.load(self.npy_path, mmap_mode='r').view(
                np.ndarray)
            self._pid = os.getpid()
        return self._values

    def block(self, entry: Sequence[int]) -> np.ndarray:
        """A frame's band ``(2a+1, C, 2, K)`` (read-only view)."""
        offset, _, _, channels, a, k = entry[:6]
        size = (2 * a + 1) * channels * 2 * k
        return self.values[offset:offset + size].reshape(
            2 * a + 1, channels, 2, k)

    def __getstate__(self):
        state = dict(self.__dict__)
        state['_values'] = state['_pid'] = None
        return state

    def __repr__(self) -> str:
        return (f'PairBandCache({self.prefix!r}, {len(self.frames)} frames, '
                f'radius={self.radius})')


def _probe_positions(num_values: int) -> np.ndarray:
    if num_values == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.linspace(0, num_values - 1, _NUM_PROBES).astype(
        np.int64))


def build_pair_bands(pairs: Mapping[str, str],
                     prefix: str,
                     radius: float = DEFAULT_BAND_RADIUS,
                     needs: Optional[Callable[[int, int], Tuple[int,
                                                                int]]] = None,
                     reuse: Optional[PairBandCache] = None,
                     source: str = '',
                     progress: bool = False) -> PairBandCache:
    """Writes the band cache of ``pairs`` (``{relpath: path}``: the key as
    the cache stores it, relative to the data root; the file to read) at
    ``prefix`` and returns it opened.

    Each frame is stored with ``stored_extent(H, W, radius)``, or the
    larger ``needs(H, W)`` (``(b, k)``, e.g. of a transform's largest mask)
    where given. Blocks of ``reuse`` (an older cache) whose frame is
    unchanged (size and modification time) and at least that large are
    copied instead of decoded again. A pair that is missing or does not
    decode gets no block (``unreadable`` in the metadata, with its size and
    time where it exists): FreqAugment then reads it and fails as it would
    without a cache. Both files are written under temporary
    names and renamed into place, the ``.npy`` first: an interrupted build
    leaves the previous cache (or none), and a reader that sees the new
    ``.npy`` with the old ``.json`` refuses the pair (probe values). Several
    processes building the same cache at once write the same bytes.
    """
    from qcdet.utils.progress import progress_bar
    prefix = _prefix(prefix)
    os.makedirs(osp.dirname(prefix) or '.', exist_ok=True)
    tag = f'.tmp{os.getpid()}'
    npy_tmp, json_tmp = prefix + '.npy' + tag, prefix + '.json' + tag
    old = reuse
    frames, unreadable, offset = {}, {}, 0

    def extent(height, width):
        a, k = stored_extent(height, width, radius)
        if needs is not None:
            b, need_k = needs(height, width)
            a, k = max(a, b), max(k, need_k)
        max_a, max_k = band_limits(height, width)
        if a > max_a or k > max_k:
            raise PairBandError(
                f'a mask of {a} rows each side and {k} columns at {height} x '
                f'{width} reaches the Nyquist band, beyond what a band cache '
                f'holds (<= {max_a} and {max_k}): read the pairs instead')
        return a, k

    bar = progress_bar(len(pairs), 'FreDA pair bands', unit='frame',
                       enabled=None if progress and pairs else False)
    try:
        with open(npy_tmp, 'wb') as f:
            f.seek(_HEADER_BYTES)
            for relpath in sorted(pairs):
                path = pairs[relpath]
                try:
                    size, mtime = _stat(path)
                except OSError:
                    unreadable[relpath] = None
                    bar.update(1)
                    continue
                prior = old.frames.get(relpath) if old is not None else None
                if prior is not None and prior[6:8] == [size, mtime] and \
                        all(have >= want for have, want in zip(
                            prior[4:6], extent(*prior[1:3]))):
                    block = np.asarray(old.block(prior))
                    shape = prior[1:4]
                else:
                    try:
                        real = read_image(path)
                    except (OSError, ValueError):
                        # reading it fails in FreqAugment as without a cache
                        unreadable[relpath] = [size, mtime]
                        bar.update(1)
                        continue
                    if real.ndim != 3:
                        unreadable[relpath] = [size, mtime]
                        bar.update(1)
                        continue
                    shape = list(real.shape)
                    block = real_band(real, *extent(*shape[:2]))
                a, k = (block.shape[0] - 1) // 2, block.shape[-1]
                f.write(np.ascontiguousarray(block, np.float32).tobytes())
                frames[relpath] = [offset, *map(int, shape), a, k, size,
                                   mtime]
                offset += block.size
                bar.update(1)
            f.seek(0)
            np.lib.format.write_array_header_1_0(
                f, dict(descr='<f4', fortran_order=False, shape=(offset, )))
            if f.tell() > _HEADER_BYTES:
                raise RuntimeError('npy header longer than reserved')
            f.write(b' ' * (_HEADER_BYTES - 1 - f.tell()) + b'\n')
        values = np.load(npy_tmp, mmap_mode='r')
        meta = dict(format=FORMAT, version=VERSION, radius=float(radius),
                    source=str(source), num_values=int(offset),
                    probe=values[_probe_positions(offset)].tolist(),
                    layout='(2a+1, C, 2, K) float32 per frame: rows u=-a..a, '
                    'BGR channels, Re/Im, columns v=0..K-1 of rfft2',
                    frames=frames, unreadable=unreadable)
        del values
        with open(json_tmp, 'w') as f:
            json.dump(meta, f, separators=(',', ':'))
        os.replace(npy_tmp, prefix + '.npy')
        os.replace(json_tmp, prefix + '.json')
    finally:
        bar.close()
        for tmp in (npy_tmp, json_tmp):
            if osp.exists(tmp):
                os.remove(tmp)
    return PairBandCache.open(prefix)


def write_annotation_bands(ann_file: str,
                           data_root: str,
                           radius: float = DEFAULT_BAND_RADIUS,
                           prefix: Optional[str] = None,
                           progress: bool = False) -> PairBandCache:
    """The band cache of every fake's pair in an annotation file (records
    with ``label == 1`` and a ``pair_path``, joined with ``data_root``),
    written beside it (``band_cache_prefix``) unless ``prefix`` is given;
    blocks of an existing cache there are reused where still valid. What
    ``tools/quality/score_static.py`` runs after scoring."""
    from .annotation_file import join_data_root, load_annotation
    root = Path(data_root)
    pairs = {}
    for record in load_annotation(ann_file)['data_list']:
        if record.get('label') == 1 and record.get('pair_path'):
            path = join_data_root(root, record['pair_path'])
            pairs[osp.relpath(osp.abspath(path), osp.abspath(root))] = path
    prefix = prefix or band_cache_prefix(ann_file)
    try:
        reuse = PairBandCache.open(prefix)
    except PairBandError:
        reuse = None
    return build_pair_bands(pairs, prefix, radius, reuse=reuse,
                            source=str(ann_file), progress=progress)


def dataset_pairs(dataset) -> Dict[str, str]:
    """``{joined pair_path: relpath under the data root}`` of every fake of
    a ``DeepfakeDataset`` (the joined path as the pipeline sees it)."""
    root = osp.abspath(dataset.data_root or '.')
    labels = dataset.get_labels()
    pairs = {}
    for index in np.flatnonzero(labels == 1):
        path = dataset.get_data_info(int(index)).get('pair_path')
        if path and path not in pairs:
            pairs[path] = osp.relpath(osp.abspath(path), root)
    return pairs


def _transforms(dataset) -> List[FreqAugment]:
    pipeline = getattr(dataset, 'pipeline', None)
    return [t for t in getattr(pipeline, 'transforms', [])
            if isinstance(t, FreqAugment)]


def cache_problems(cache: PairBandCache, pairs: Mapping[str, str],
                   transforms: Sequence[FreqAugment]) -> List[str]:
    """Why ``cache`` cannot serve ``pairs`` (``{path: relpath}``) for
    ``transforms``: frames missing, frames changed since their block was
    written, masks larger than the band. Empty when it can."""
    problems, missing, changed, sizes = [], [], [], {}
    unreadable = cache.meta.get('unreadable', {})
    for path, relpath in pairs.items():
        entry = cache.frames.get(relpath)
        try:
            stat = list(_stat(path))
        except OSError:
            stat = None
        if entry is None:
            if relpath not in unreadable:
                missing.append(relpath)
            elif unreadable[relpath] != stat:
                changed.append(relpath)
            continue
        if stat != entry[6:8]:
            changed.append(relpath)
        size = tuple(entry[1:3])
        have = sizes.get(size, tuple(entry[4:6]))
        sizes[size] = (min(have[0], entry[4]), min(have[1], entry[5]))
    if missing:
        problems.append(f'{len(missing)} pair(s) of the dataset have no band '
                        f'(e.g. {missing[0]}): the annotation changed')
    if changed:
        problems.append(f'{len(changed)} pair file(s) changed since their '
                        f'band was written (e.g. {changed[0]})')
    for (height, width), (a, k) in sorted(sizes.items()):
        for transform in transforms:
            b, need_k = transform.band_extent_needed(height, width)
            if b > a or need_k > k:
                problems.append(
                    f'the band ({a} rows each side, {k} columns at {height} x '
                    f'{width}, radius {cache.radius}) is too small for '
                    f'{transform!r}, which needs {b} and {need_k}')
    return problems


def attach_pair_bands(dataset,
                      path: str = 'auto',
                      rebuild: bool = True,
                      radius: float = DEFAULT_BAND_RADIUS,
                      logger=None) -> Optional[PairBandCache]:
    """Gives every ``FreqAugment`` of ``dataset``'s pipeline that reads
    its pairs from ``pair_path`` the band cache of the dataset's pairs,
    checked first and rebuilt when missing or stale (or refused,
    ``rebuild=False``). Returns the cache, or None when no transform can
    use one.

    ``path``: ``'auto'`` (beside the annotation file, ``band_cache_prefix``)
    or a path prefix (``.npy``/``.json`` optional; a relative one is under
    the data root, like ``ann_file``). Called by every process of a
    distributed run (``QualityScoreHook.before_run``): the first process of
    each machine builds, the others wait at a barrier, then every process
    checks the result itself.
    """
    transforms = [t for t in _transforms(dataset) if t.accepts_pair_bands]
    if not transforms:
        return None
    if path == 'auto':
        prefix = band_cache_prefix(dataset.ann_file)
    else:
        prefix = _prefix(path)
        if not osp.isabs(prefix):
            prefix = osp.join(dataset.data_root or '', prefix)
    pairs = dataset_pairs(dataset)

    def log(msg, level=logging.INFO):
        print_log(msg, logger=logger or 'current', level=level)

    def check():
        try:
            cache = PairBandCache.open(prefix)
        except PairBandError as err:
            return None, [str(err)]
        return cache, cache_problems(cache, pairs, transforms)

    cache, problems = check()
    world_size = get_dist_info()[1]
    build_error = None
    if problems and rebuild and _local_rank() == 0:
        log(f'FreDA band cache {prefix}: ' + '; '.join(problems) +
            f'; (re)building it for {len(pairs)} real frames')
        def needs(height, width):
            extents = [t.band_extent_needed(height, width)
                       for t in transforms]
            return tuple(max(e[i] for e in extents) for i in (0, 1))

        try:
            build_pair_bands({rel: p for p, rel in pairs.items()}, prefix,
                             radius, needs=needs, reuse=cache,
                             source=str(dataset.ann_file))
        except OSError as err:
            build_error = PairBandError(
                f'cannot write the FreDA band cache {prefix} ({err}); give '
                'QualityScoreHook(pair_bands=...) a writable path, or '
                'pair_bands=None to read the pairs')
        except Exception as err:  # noqa: B902 - reach the barrier first
            build_error = err
    if world_size > 1:
        barrier()  # every process, whatever happened: no one waits forever
    if build_error is not None:
        raise build_error
    if problems:
        cache, problems = check()
    if problems:
        raise PairBandError(f'FreDA band cache {prefix} cannot be used: ' +
                            '; '.join(problems) + f'. {REBUILD_HINT}')
    entries = {p: cache.frames[rel][:6] for p, rel in pairs.items()
               if rel in cache.frames}
    for transform in transforms:
        transform.use_pair_bands(cache, entries)
    log(f'FreDA band cache {prefix}: {len(entries)} real frames, radius '
        f'{cache.radius}; FreDA reads bands instead of decoding pairs')
    return cache

