"""Which frames of a data list cannot be read, found before a run needs
them: a missing or corrupt frame then becomes a counted, logged skip (or a
list a person can act on) instead of a crash inside a DataLoader worker."""
from concurrent.futures import ThreadPoolExecutor
from typing import List, NamedTuple, Optional, Sequence

from .transforms.loading import read_image

__all__ = ['UnreadableFrame', 'unreadable_frames']


class UnreadableFrame(NamedTuple):
    index: int    # record index in the data list
    key: str      # 'img_path' or 'pair_path'
    path: str
    reason: str


def _problem(path: str, backend_args: Optional[dict]) -> Optional[str]:
    try:
        read_image(path, backend_args)
    except (OSError, ValueError) as e:
        return str(e)
    return None


def unreadable_frames(data_list: Sequence[dict],
                      keys: Sequence[str] = ('img_path',),
                      backend_args: Optional[dict] = None,
                      num_threads: int = 8) -> List[UnreadableFrame]:
    """Every ``keys`` path of ``data_list`` (records with paths joined to
    the data root) that is missing, empty or does not decode, in record
    order. Frames are decoded in threads (OpenCV releases the GIL)."""
    jobs = [(i, key, record[key]) for i, record in enumerate(data_list)
            for key in keys if record.get(key)]
    with ThreadPoolExecutor(max(1, num_threads)) as pool:
        reasons = list(pool.map(lambda job: _problem(job[2], backend_args),
                                jobs))
    return [UnreadableFrame(i, key, path, reason)
            for (i, key, path), reason in zip(jobs, reasons)
            if reason is not None]
