"""Reader for DeepfakeBench's nested JSON index, so users with DeepfakeBench
data start at once.

The index nests ``dataset -> label name -> split -> [compression] -> video
-> {"label": name, "frames": [paths]}``; the compression level exists for
FF++-style datasets only.
"""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from qcdet.utils.dataset_names import DEEPFAKEBENCH_FFPP_LABELS, SPLITS

__all__ = ['is_deepfakebench_index', 'parse_deepfakebench_index']

FFPP_FAKE_NAME = re.compile(r'^(\d+)_\d+$')  # <target>_<source>


def is_deepfakebench_index(raw) -> bool:
    """True for ``{dataset: {label: {split: ...}}}``."""
    if not isinstance(raw, dict) or not raw:
        return False
    for labels in raw.values():
        if not isinstance(labels, dict) or not labels:
            return False
        for splits in labels.values():
            if not isinstance(splits, dict) or \
                    not any(s in splits for s in SPLITS):
                return False
    return True


def default_label(name: str) -> int:
    return 0 if 'real' in name.lower() else 1


def _frame_index(path: str, position: int) -> int:
    digits = re.findall(r'\d+', osp.splitext(osp.basename(path))[0])
    return int(digits[-1]) if digits else position


def _videos(split_info: dict, compression: str, where: str) -> dict:
    """Skip the optional compression level."""
    if compression in split_info and all(
            isinstance(v, dict) and 'frames' not in v
            for v in split_info.values()):
        return split_info[compression]
    nested = [k for k, v in split_info.items()
              if isinstance(v, dict) and 'frames' not in v]
    if nested:
        raise ValueError(
            f'{where}: compression level {compression!r} not found; the '
            f'index has {sorted(split_info)}')
    return split_info


def parse_deepfakebench_index(raw: dict,
                              split: str = 'train',
                              compression: str = 'c23',
                              dataset_names: Optional[Sequence[str]] = None,
                              label_map: Optional[Dict[str, int]] = None
                              ) -> List[dict]:
    """Flatten a DeepfakeBench index into qcdet records (one per frame).

    FF++ fakes (``<target>_<source>``) get ``pair_path`` = the frame of the
    same name in original ``<target>`` when the index holds it.
    """
    names = list(dataset_names) if dataset_names else list(raw)
    records = []
    for dataset in names:
        if dataset not in raw:
            raise KeyError(f'DeepfakeBench index has no dataset {dataset!r}; '
                           f'it has {sorted(raw)}')
        real_frames = {}  # video name -> {frame basename: path}
        fakes = []
        for label_name, splits in raw[dataset].items():
            if split not in splits:
                continue
            where = f'{dataset}/{label_name}/{split}'
            method = DEEPFAKEBENCH_FFPP_LABELS.get(label_name, label_name)
            for video, vinfo in _videos(splits[split], compression,
                                        where).items():
                if not isinstance(vinfo, dict) or 'frames' not in vinfo:
                    raise ValueError(f'{where}/{video}: expected a dict with '
                                     '"frames"')
                name = vinfo.get('label', label_name)
                label = (label_map[name] if label_map and name in label_map
                         else default_label(name))
                vmethod = 'real' if label == 0 else method
                for pos, path in enumerate(vinfo['frames']):
                    rec = dict(img_path=path, label=label,
                               video_id=f'{dataset}/{vmethod}/{video}',
                               dataset=dataset, method=vmethod,
                               frame_idx=_frame_index(path, pos))
                    records.append(rec)
                    if label == 0:
                        real_frames.setdefault(video, {})[
                            osp.basename(path)] = path
                    else:
                        fakes.append((video, rec))
        for video, rec in fakes:
            match = FFPP_FAKE_NAME.match(video)
            target = real_frames.get(match.group(1), {}) if match else {}
            rec['pair_path'] = target.get(osp.basename(rec['img_path']))
    return records
