"""Where each raw dataset keeps its videos, labels, methods, official splits,
and which real video every fake was made from.

A layout lists :class:`VideoItem` s; :func:`resolve_pairs` then links every
fake to its real by name, or says why it has none.
"""
import csv
import json
import os.path as osp
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from qcdet.utils.dataset_names import FFPP_METHODS, SPLITS

__all__ = ['VideoItem', 'DatasetLayout', 'FFPPLayout', 'CelebDFLayout',
           'CelebDFv1Layout', 'DFDCLayout', 'DFDCPLayout', 'DFDLayout',
           'UADFVLayout',
           'FolderLayout', 'LAYOUTS', 'build_layout', 'resolve_pairs']

VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


@dataclass
class VideoItem:
    """One raw video. ``name`` is unique within ``method``; ``pair_name`` is
    the ``name`` of the real video a fake was made from (None: unknown)."""
    path: str
    name: str
    label: int
    method: str
    split: str
    dataset: str
    pair_name: Optional[str] = None
    mask_path: Optional[str] = None
    pair_key: Optional[str] = None  # set by resolve_pairs
    pair_missing_reason: Optional[str] = None
    notes: List[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Output sub-path, e.g. ``Deepfakes/519_515``."""
        return f'{self.method}/{self.name}'

    @property
    def video_id(self) -> str:
        return f'{self.dataset}/{self.key}'


def _videos_in(folder: Path) -> List[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in VIDEO_EXTS and p.is_file())


def resolve_pairs(items: List[VideoItem]) -> List[VideoItem]:
    """Link fakes to listed reals; a fake without one gets the reason."""
    reals = {it.name: it for it in items if it.label == 0}
    for it in items:
        if it.label == 0:
            continue
        if it.pair_name is None:
            it.pair_missing_reason = it.pair_missing_reason or \
                'the dataset does not name the original of this fake'
        elif it.pair_name in reals:
            it.pair_key = reals[it.pair_name].key
            it.pair_missing_reason = None
        else:
            it.pair_missing_reason = (f'original video {it.pair_name!r} '
                                      'is not under --root')
    return items


class DatasetLayout:
    """How one dataset is laid out on disk. Subclasses set ``dataset`` (name
    in the annotation records), ``deepfakebench_name`` and
    ``deepfakebench_labels`` (label name per method) and implement
    :meth:`list_videos`."""
    dataset = ''
    deepfakebench_name = ''
    deepfakebench_labels: Dict[str, str] = {}
    deepfakebench_compression: Optional[str] = None

    def __init__(self, root, compression='c23', splits_dir=None):
        self.root = Path(root)
        self.compression = compression
        self.splits_dir = Path(splits_dir) if splits_dir else None
        if not self.root.is_dir():
            raise FileNotFoundError(f'dataset root not found: {self.root}')

    def list_videos(self) -> List[VideoItem]:
        raise NotImplementedError

    def items(self) -> List[VideoItem]:
        items = resolve_pairs(self.list_videos())
        if not items:
            raise FileNotFoundError(
                f'no videos found under {self.root} for the '
                f'{type(self).__name__} layout (see docs/data.md)')
        keys = [it.key for it in items]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f'{self.root}: two videos map to {dupes[:5]}')
        return items

    def deepfakebench_label(self, item: VideoItem) -> str:
        return self.deepfakebench_labels.get(
            item.method, self.deepfakebench_labels['fake' if item.label
                                                   else 'real'])


# --------------------------------------------------------------- FF++ / DFD
FFPP_FAKE = re.compile(r'^(\d+)_(\d+)$')


class FFPPLayout(DatasetLayout):
    """FaceForensics++ official layout::

        original_sequences/youtube/<c>/videos/<target>.mp4
        manipulated_sequences/<Method>/<c>/videos/<target>_<source>.mp4
        manipulated_sequences/<Method>/masks/videos/<target>_<source>.mp4

    Splits come from the official pair lists ``{train,val,test}.json``
    (``[[a, b], ...]``: videos a, b and fakes a_b, b_a), looked up in
    ``splits_dir`` or ``<root>/splits``. A video in no list goes to
    ``train`` and is noted in the summary (never to val/test, which must
    stay the official ones).
    """
    dataset = 'ffpp'
    deepfakebench_name = 'FaceForensics++'
    deepfakebench_labels = {'real': 'FF-real', 'Deepfakes': 'FF-DF',
                            'Face2Face': 'FF-F2F', 'FaceSwap': 'FF-FS',
                            'NeuralTextures': 'FF-NT',
                            'FaceShifter': 'FF-FH', 'fake': 'FF-fake'}
    default_split = 'train'

    def __init__(self, root, compression='c23', splits_dir=None):
        super().__init__(root, compression, splits_dir)
        self.dataset = f'ffpp_{compression}'
        self.deepfakebench_compression = compression
        self.split_of = self._load_splits()

    def _load_splits(self) -> Dict[str, str]:
        folder = self.splits_dir or self.root / 'splits'
        split_of = {}
        for split in SPLITS:
            path = folder / f'{split}.json'
            if not path.is_file():
                continue
            with open(path) as f:
                pairs = json.load(f)
            for pair in pairs:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError(f'{path}: expected [[id, id], ...], '
                                     f'found {pair!r}')
                a, b = (str(v) for v in pair)
                for name in (a, b, f'{a}_{b}', f'{b}_{a}'):
                    split_of[name] = split
        return split_of

    def _split(self, name: str, item_notes: List[str]) -> str:
        if name in self.split_of:
            return self.split_of[name]
        item_notes.append(f'not in the official split lists: put in '
                          f'{self.default_split}')
        return self.default_split

    def _item(self, path, label, method, pair_name=None, mask=None):
        notes = []
        split = self._split(path.stem, notes)
        return VideoItem(str(path), path.stem, label, method, split,
                         self.dataset, pair_name=pair_name,
                         mask_path=str(mask) if mask else None, notes=notes)

    def real_folders(self):
        return [self.root / 'original_sequences' / 'youtube' /
                self.compression / 'videos']

    def fake_methods(self):
        return FFPP_METHODS

    def original_of(self, name: str) -> Optional[str]:
        match = FFPP_FAKE.match(name)
        return match.group(1) if match else None

    def list_videos(self):
        items = []
        for folder in self.real_folders():
            items += [self._item(p, 0, 'real') for p in _videos_in(folder)]
        for method in self.fake_methods():
            base = self.root / 'manipulated_sequences' / method
            for p in _videos_in(base / self.compression / 'videos'):
                mask = base / 'masks' / 'videos' / p.name
                items.append(self._item(p, 1, method, self.original_of(p.stem),
                                        mask if mask.is_file() else None))
        return items


class DFDLayout(FFPPLayout):
    """DeepFakeDetection (Google/Jigsaw) in FF++'s layout::

        original_sequences/actors/<c>/videos/<t>__<scene>.mp4
        manipulated_sequences/DeepFakeDetection/<c>/videos/
            <t>_<s>__<scene>__<code>.mp4   (pair: <t>__<scene>)

    A cross-dataset test set: every video goes to ``test``.
    """
    deepfakebench_name = 'DeepFakeDetection'
    deepfakebench_labels = {'real': 'DFD_real', 'fake': 'DFD_fake'}
    default_split = 'test'
    DFD_FAKE = re.compile(r'^(\d+)_\d+__(.+?)__[^_]+$')

    def __init__(self, root, compression='c23', splits_dir=None):
        super().__init__(root, compression, splits_dir)
        self.dataset = f'dfd_{compression}'

    def _load_splits(self):
        return {}

    def _split(self, name, item_notes):
        return 'test'

    def real_folders(self):
        return [self.root / 'original_sequences' / 'actors' /
                self.compression / 'videos']

    def fake_methods(self):
        return ('DeepFakeDetection',)

    def original_of(self, name):
        match = self.DFD_FAKE.match(name)
        return f'{match.group(1)}__{match.group(2)}' if match else None


# ------------------------------------------------------------------ Celeb-DF
class CelebDFLayout(DatasetLayout):
    """Celeb-DF v1/v2::

        Celeb-real/id<A>_<NNNN>.mp4   YouTube-real/<NNNNN>.mp4
        Celeb-synthesis/id<A>_id<B>_<NNNN>.mp4   (pair: id<A>_<NNNN>)
        List_of_testing_videos.txt   ("<1 real|0 fake> <folder>/<file>")

    Listed videos go to ``test``, the others to ``train`` (Celeb-DF has no
    official validation split).
    """
    FAKE = re.compile(r'^(id\d+)_id\d+_(\d+)$')
    version = 'v2'

    def __init__(self, root, compression='c23', splits_dir=None):
        super().__init__(root, compression, splits_dir)
        v = self.version
        self.dataset = f'celebdf_{v}'
        self.deepfakebench_name = f'Celeb-DF-{v}'
        self.deepfakebench_labels = {'real': f'CelebDF{v}_real',
                                     'fake': f'CelebDF{v}_fake'}

    def _test_list(self):
        path = self.root / 'List_of_testing_videos.txt'
        if not path.is_file():
            return None
        listed = set()
        for line_no, line in enumerate(path.read_text().splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValueError(f'{path}:{line_no}: expected "<label> '
                                 f'<folder>/<file>", got {line!r}')
            listed.add(parts[1])
        return listed

    def list_videos(self):
        test_list = self._test_list()
        items = []
        for folder, label in (('Celeb-real', 0), ('YouTube-real', 0),
                              ('Celeb-synthesis', 1)):
            for p in _videos_in(self.root / folder):
                notes = []
                if test_list is None:
                    split = 'test'
                    notes.append('no List_of_testing_videos.txt: put in test')
                else:
                    split = 'test' if f'{folder}/{p.name}' in test_list \
                        else 'train'
                pair = None
                if label:
                    m = self.FAKE.match(p.stem)
                    pair = f'{m.group(1)}_{m.group(2)}' if m else None
                items.append(VideoItem(
                    str(p), p.stem, label, 'real' if label == 0 else
                    'Celeb-synthesis', split, self.dataset, pair_name=pair,
                    notes=notes))
        return items


class CelebDFv1Layout(CelebDFLayout):
    version = 'v1'


# --------------------------------------------------------------------- DFDC
class DFDCLayout(DatasetLayout):
    """DFDC: any folder under ``root`` holding a ``*metadata*.json``
    (``{"x.mp4": {"label": "FAKE"|"REAL", "original": "y.mp4", ...}}``,
    the training parts) or a ``labels.csv`` (``filename,label`` with 1 =
    fake, the public test set). A cross-dataset test set: every video goes
    to ``test``. Fakes pair with ``original`` where the metadata gives it.
    """
    dataset = 'dfdc'
    deepfakebench_name = 'DFDC'
    deepfakebench_labels = {'real': 'DFDC_Real', 'fake': 'DFDC_Fake'}

    def _labels(self):
        """video path -> (label, original name or None)."""
        info = {}
        for meta in sorted(self.root.rglob('*metadata*.json')):
            with open(meta) as f:
                entries = json.load(f)
            for fname, entry in entries.items():
                label = str(entry.get('label', '')).upper()
                if label not in ('REAL', 'FAKE'):
                    raise ValueError(f'{meta}: {fname} has label '
                                     f'{entry.get("label")!r}')
                orig = entry.get('original')
                info[meta.parent / fname] = (
                    int(label == 'FAKE'),
                    osp.splitext(orig)[0] if orig else None)
        for labels in sorted(self.root.rglob('labels.csv')):
            with open(labels, newline='') as f:
                for row in csv.DictReader(f):
                    info[labels.parent / row['filename']] = (
                        int(float(row['label']) >= 0.5), None)
        return info

    def list_videos(self):
        items = []
        for path, (label, original) in sorted(self._labels().items()):
            if not path.is_file():
                continue  # metadata of a part not downloaded
            item = VideoItem(str(path), path.stem, label,
                             'real' if label == 0 else 'DFDC', 'test',
                             self.dataset, pair_name=original)
            if label and original is None:
                item.pair_missing_reason = 'metadata gives no original'
            items.append(item)
        return items


class DFDCPLayout(DatasetLayout):
    """DFDC preview: ``dataset.json`` maps ``<folder>/.../<file>.mp4`` to
    ``{"label": "real"|"fake", "set": "train"|"test", ...}``; fakes live in
    ``method_A``/``method_B``. Split = the entry's ``set``. A fake pairs
    with ``original`` when the entry has one, else with the real of the same
    file name (the preview names a fake after its target clip)."""
    dataset = 'dfdcp'
    deepfakebench_name = 'DFDCP'
    deepfakebench_labels = {'real': 'DFDCP_Real', 'method_A': 'DFDCP_FakeA',
                            'method_B': 'DFDCP_FakeB', 'fake': 'DFDCP_Fake'}

    def list_videos(self):
        meta = self.root / 'dataset.json'
        if not meta.is_file():
            raise FileNotFoundError(f'DFDC preview metadata not found: {meta}')
        with open(meta) as f:
            entries = json.load(f)
        items = []
        for rel, entry in sorted(entries.items()):
            path = self.root / rel
            if not path.is_file():
                continue
            label = int(str(entry.get('label', '')).lower() == 'fake')
            method = 'real' if label == 0 else rel.split('/')[0]
            split = {'train': 'train', 'test': 'test'}.get(
                entry.get('set'), 'test')
            orig = entry.get('original')
            pair = (Path(orig).stem if orig else path.stem) if label else None
            # fakes of one target share its file name in several folders
            name = path.stem if label == 0 else \
                '__'.join(Path(rel).with_suffix('').parts[1:])
            items.append(VideoItem(str(path), name, label, method, split,
                                   self.dataset, pair_name=pair))
        return items


# -------------------------------------------------------------------- UADFV
class UADFVLayout(DatasetLayout):
    """UADFV: ``real/NNNN.mp4`` and ``fake/NNNN_fake.mp4`` (pair: NNNN).
    A cross-dataset test set: every video goes to ``test``."""
    dataset = 'uadfv'
    deepfakebench_name = 'UADFV'
    deepfakebench_labels = {'real': 'UADFV_Real', 'fake': 'UADFV_Fake'}

    def list_videos(self):
        items = [VideoItem(str(p), p.stem, 0, 'real', 'test', self.dataset)
                 for p in _videos_in(self.root / 'real')]
        for p in _videos_in(self.root / 'fake'):
            pair = p.stem[:-len('_fake')] if p.stem.endswith('_fake') \
                else None
            items.append(VideoItem(str(p), p.stem, 1, 'UADFV', 'test',
                                   self.dataset, pair_name=pair))
        return items


# ------------------------------------------------------------------- folder
class FolderLayout(DatasetLayout):
    """Any videos sorted by label::

        [<split>/]real/**/<name>.<ext>
        [<split>/]fake/[<method>/]**/<name>.<ext>
        pairs.json   (optional: {"<fake name>": "<real name>"})

    ``<split>`` is train/val/test; without split folders every video goes to
    ``test``. A fake pairs with ``pairs.json``'s entry, else with the real
    of the same name. Names are paths below real/ or fake/<method>/ with
    ``/`` written ``__``.
    """
    dataset = 'folder'
    deepfakebench_name = 'Folder'
    deepfakebench_labels = {'real': 'real', 'fake': 'fake'}

    def _scan(self, base, split):
        items = []
        for label, sub in ((0, 'real'), (1, 'fake')):
            folder = base / sub
            if not folder.is_dir():
                continue
            for p in sorted(folder.rglob('*')):
                if p.suffix.lower() not in VIDEO_EXTS or not p.is_file():
                    continue
                rel = p.relative_to(folder).with_suffix('')
                method = 'real'
                if label and len(rel.parts) > 1:
                    method, rel = rel.parts[0], Path(*rel.parts[1:])
                elif label:
                    method = 'fake'
                items.append(VideoItem(str(p), '__'.join(rel.parts), label,
                                       method, split, self.dataset))
        return items

    def list_videos(self):
        split_dirs = [s for s in SPLITS if (self.root / s).is_dir()]
        items = []
        if split_dirs:
            for split in split_dirs:
                items += self._scan(self.root / split, split)
        else:
            items = self._scan(self.root, 'test')
        pairs = {}
        pairs_file = self.root / 'pairs.json'
        if pairs_file.is_file():
            with open(pairs_file) as f:
                pairs = json.load(f)
        real_names = {it.name for it in items if it.label == 0}
        for it in items:
            if it.label:
                it.pair_name = pairs.get(it.name) or (
                    it.name if it.name in real_names else None)
                if it.pair_name is None:
                    it.pair_missing_reason = ('no real of the same name and '
                                              'no pairs.json entry')
        return items


LAYOUTS = {
    'ffpp': FFPPLayout, 'celebdf_v1': CelebDFv1Layout,
    'celebdf_v2': CelebDFLayout, 'dfdc': DFDCLayout, 'dfdcp': DFDCPLayout,
    'dfd': DFDLayout, 'uadfv': UADFVLayout, 'folder': FolderLayout,
}


def build_layout(name: str, root, compression='c23', splits_dir=None):
    if name not in LAYOUTS:
        raise ValueError(f'unknown dataset layout {name!r}; use one of '
                         f'{sorted(LAYOUTS)}')
    return LAYOUTS[name](root, compression=compression,
                         splits_dir=splits_dir)
