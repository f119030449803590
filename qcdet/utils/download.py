"""Model files fetched once into a local cache: ImageNet backbone weights and
the ArcFace face recogniser.

One cache for all of them, torch.hub's ``<TORCH_HOME>/hub/checkpoints`` (where
MMEngine and timm put downloaded weights too, so a file fetched by one is
found by the others). A file is downloaded with torch.hub's downloader (to a
temporary name, then renamed), checked against the SHA-256 its source
publishes (in full or as a prefix, e.g. the ``-7eb33cd5`` in
``efficientnet_b4_ra2_320-7eb33cd5.pth``) and only then moved into place; a
cached file is checked again on every use (hashed once per process while it
is unchanged). When a file can neither be found
nor downloaded, :class:`ModelFileUnavailable` says which file to put where.
"""
import fnmatch
import hashlib
import os
import os.path as osp
import shutil
import sys
import tarfile
from typing import Optional
from urllib.error import URLError
from urllib.parse import urlparse

__all__ = ['ModelFileUnavailable', 'model_cache_dir', 'cached_path',
           'file_sha256', 'fetch_model_file', 'is_url']


_ARCHIVE_SUFFIXES = ('.tar.gz', '.tgz', '.tar.bz2', '.tar.xz', '.tar')


class ModelFileUnavailable(RuntimeError):
    """A model file that is neither cached nor downloadable, or that failed
    its checksum; the message says what to do."""


def is_url(source: str) -> bool:
    return urlparse(str(source)).scheme in ('http', 'https')


def model_cache_dir() -> str:
    """``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/...``)."""
    import torch.hub
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def cached_path(url: str, member: Optional[str] = None) -> str:
    """Where the file from ``url`` lives in the cache; with ``member`` (a
    glob such as ``'*.onnx'``), where the member taken out of that archive
    lives: the archive's name with the member's extension."""
    path = urlparse(url).path
    name = osp.basename(path)
    # Hugging Face names every repo's files alike (``model.safetensors``):
    # the repo's name goes first, so two repos' files never share a name
    parts = path.split('/')
    if 'resolve' in parts[2:]:
        name = f"{parts[parts.index('resolve', 2) - 1]}-{name}"
    if member is not None:
        for suffix in _ARCHIVE_SUFFIXES:
            if name.endswith(suffix):
                name = name[:-len(suffix)]
                break
        name += osp.splitext(member)[1]
    return osp.join(model_cache_dir(), name)


# SHA-256 of the files hashed in this process, by (device, inode, size,
# mtime): tools/train.py checks every pretrained file before training and
# init_weights checks it again; an unchanged file (renamed into place
# included) is hashed once, a file rewritten since is hashed again.
_DIGESTS = {}


def file_sha256(path: str) -> str:
    stat = os.stat(path)
    key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _check_sha256(path: str, expected: Optional[str], source: str) -> None:
    if not expected:
        return
    actual = file_sha256(path)
    if not actual.startswith(expected.lower()):
        raise ModelFileUnavailable(
            f'{path} (from {source}) has SHA-256 {actual[:16]}..., but its '
            f'source publishes {expected}: the file is corrupt or not the '
            'published one. Delete it and run again to download it anew.')


def _unavailable(url, path, sha256, reason, hint):
    checksum = ''
    if sha256:
        checksum = (f' (SHA-256 {sha256})' if len(sha256) == 64 else
                    f' (its SHA-256 starts with {sha256})')
    message = (f'Cannot download {url}: {reason}.\n'
               f'Download it on a machine with internet access and put it '
               f'at {path}{checksum}; set TORCH_HOME to use another cache '
               'folder.')
    if hint:
        message += f'\nOr {hint}.'
    return ModelFileUnavailable(message)


def _download(url: str, dest: str, sha256: Optional[str], hint: str,
              progress: bool) -> None:
    from torch.hub import download_url_to_file
    os.makedirs(osp.dirname(dest), exist_ok=True)
    tmp = f'{dest}.part{os.getpid()}'
    try:
        download_url_to_file(url, tmp, progress=progress)
        _check_sha256(tmp, sha256, url)
        os.replace(tmp, dest)
    except (URLError, OSError, ValueError) as e:  # offline, 404, refused
        raise _unavailable(url, dest, sha256,
                           getattr(e, 'reason', None) or e, hint) from e
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _extract_member(archive: str, pattern: str, dest: str) -> None:
    """The one member of a tar archive whose name matches ``pattern``."""
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if m.isfile() and fnmatch.fnmatch(m.name, pattern)]
        if len(members) != 1:
            raise ModelFileUnavailable(
                f'{archive}: expected one member matching {pattern!r}, '
                f'found {[m.name for m in members]}')
        tmp = f'{dest}.part{os.getpid()}'
        try:
            with tar.extractfile(members[0]) as src, open(tmp, 'wb') as out:
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(tmp, dest)
        finally:
            if osp.exists(tmp):
                os.remove(tmp)


def fetch_model_file(source: str, sha256: Optional[str] = None,
                     member: Optional[str] = None, hint: str = '',
                     progress: Optional[bool] = None) -> str:
    """Local path of ``source``: a local file as it is, or a URL's file
    from the cache, downloading it when it is not there.

    Args:
        source: local path or http(s) URL.
        sha256: the SHA-256 (hex, whole or a prefix of >= 8 digits) the
            source publishes; checked on download and on every use.
        member: for a tar archive, a glob naming the one file to take out
            of it: the archive is checked, the member kept in the cache and
            the archive deleted.
        hint: how to do without the file, appended to the error message.
        progress: show a download progress bar (default: on a terminal).
    """
    if sha256 is not None and len(sha256) < 8:
        raise ValueError(f'sha256 {sha256!r}: give at least 8 hex digits')
    if not is_url(source):
        path = osp.expanduser(str(source))
        if not osp.isfile(path):
            raise ModelFileUnavailable(
                f'{path} does not exist' + (f'.\nOr {hint}.' if hint else ''))
        _check_sha256(path, sha256, path)
        return path
    if member is not None:
        dest = cached_path(source, member)
        if osp.isfile(dest):
            return dest
        archive = _cached_or_downloaded(source, sha256, hint, progress)
        _extract_member(archive, member, dest)
        os.remove(archive)
        return dest
    return _cached_or_downloaded(source, sha256, hint, progress)


def _cached_or_downloaded(url, sha256, hint, progress) -> str:
    """The cached file of ``url`` after checking it, or a fresh download
    (checked before it was moved into place, so not hashed twice)."""
    dest = cached_path(url)
    if osp.isfile(dest):
        _check_sha256(dest, sha256, url)
    else:
        if progress is None:
            progress = sys.stderr.isatty()
        _download(url, dest, sha256, hint, progress)
    return dest

