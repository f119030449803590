"""Model files are downloaded once into the cache, checked against the
published SHA-256, and a missing file gives one message saying where to put
it; all against a server the test runs on 127.0.0.1."""
import hashlib
import io
import os
import tarfile

import pytest

from qcdet.utils import (
    ModelFileUnavailable,
    cached_path,
    fetch_model_file,
    model_cache_dir,
)

PAYLOAD = b'weights' * 1000


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_download_lands_in_the_cache_and_is_reused(http_folder, tmp_path):
    folder, base = http_folder
    (folder / 'net-abc.pth').write_bytes(PAYLOAD)
    url = f'{base}/net-abc.pth'

    path = fetch_model_file(url, sha256=sha256(PAYLOAD)[:8])
    assert path == cached_path(url)
    assert path.startswith(model_cache_dir())
    assert open(path, 'rb').read() == PAYLOAD
    # no partial files left next to it
    assert os.listdir(model_cache_dir()) == ['net-abc.pth']

    (folder / 'net-abc.pth').unlink()  # the source is gone: cache serves
    assert fetch_model_file(url, sha256=sha256(PAYLOAD)) == path


def test_a_download_with_the_wrong_hash_is_not_kept(http_folder):
    folder, base = http_folder
    (folder / 'tampered.pth').write_bytes(PAYLOAD)
    url = f'{base}/tampered.pth'
    with pytest.raises(ModelFileUnavailable, match='SHA-256'):
        fetch_model_file(url, sha256='0' * 64)
    assert not os.path.exists(cached_path(url))
    assert not [n for n in os.listdir(model_cache_dir()) if 'tampered' in n]


def test_a_corrupt_cached_file_is_refused(http_folder):
    folder, base = http_folder
    (folder / 'net.pth').write_bytes(PAYLOAD)
    url = f'{base}/net.pth'
    path = fetch_model_file(url, sha256=sha256(PAYLOAD))
    with open(path, 'ab') as f:
        f.write(b'x')
    with pytest.raises(ModelFileUnavailable, match='Delete it'):
        fetch_model_file(url, sha256=sha256(PAYLOAD))


def test_an_unchanged_file_is_hashed_once_per_process(http_folder,
                                                      monkeypatch):
    """The preflight in tools/train.py and init_weights check the same
    file: hashed at download, not again while it is unchanged; a file
    changed in place (same size) is hashed again and refused."""
    import qcdet.utils.download as download
    folder, base = http_folder
    (folder / 'once.pth').write_bytes(PAYLOAD)
    url = f'{base}/once.pth'
    reads = []
    real_open = open

    def counting_open(path, *args, **kwargs):
        if str(path).startswith(model_cache_dir()):
            reads.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(download, 'open', counting_open, raising=False)
    path = fetch_model_file(url, sha256=sha256(PAYLOAD))
    assert len(reads) == 1  # the download, hashed before it was renamed
    for _ in range(3):
        fetch_model_file(url, sha256=sha256(PAYLOAD))
    assert len(reads) == 1
    with real_open(path, 'r+b') as f:
        f.write(b'W')  # same size, new content and mtime
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 1))
    with pytest.raises(ModelFileUnavailable, match='Delete it'):
        fetch_model_file(url, sha256=sha256(PAYLOAD))
    assert len(reads) == 2


def test_offline_says_which_file_to_put_where(closed_port_url):
    url = f'{closed_port_url}/models/net-7eb33cd5.pth'
    with pytest.raises(ModelFileUnavailable) as error:
        fetch_model_file(url, sha256='7eb33cd5',
                         hint='use --cfg-options model.backbone.init_cfg=None')
    message = str(error.value)
    assert f'Cannot download {url}' in message
    assert f'put it at {cached_path(url)}' in message
    assert 'starts with 7eb33cd5' in message
    assert 'Or use --cfg-options model.backbone.init_cfg=None.' in message
    assert 'TORCH_HOME' in message


def test_missing_file_on_the_server_is_the_same_message(http_folder):
    _, base = http_folder
    with pytest.raises(ModelFileUnavailable, match='Cannot download'):
        fetch_model_file(f'{base}/absent.pth')


def test_a_file_placed_by_hand_is_used_offline(closed_port_url):
    url = f'{closed_port_url}/net-aa.pth'
    os.makedirs(model_cache_dir(), exist_ok=True)
    with open(cached_path(url), 'wb') as f:
        f.write(PAYLOAD)
    assert fetch_model_file(url, sha256=sha256(PAYLOAD)[:12]) == \
        cached_path(url)


def test_local_paths_are_used_as_they_are(tmp_path):
    path = tmp_path / 'local.pth'
    path.write_bytes(PAYLOAD)
    assert fetch_model_file(str(path), sha256=sha256(PAYLOAD)) == str(path)
    with pytest.raises(ModelFileUnavailable, match='does not exist'):
        fetch_model_file(str(tmp_path / 'absent.pth'))
    with pytest.raises(ValueError, match='8 hex digits'):
        fetch_model_file(str(path), sha256='abc')


def make_tar(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w:gz') as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_member_is_taken_out_of_a_checked_archive(http_folder):
    folder, base = http_folder
    archive = make_tar({'model/net.onnx': PAYLOAD,
                        'model/test_data/input.pb': b'x'})
    (folder / 'net-1.tar.gz').write_bytes(archive)
    url = f'{base}/net-1.tar.gz'

    path = fetch_model_file(url, sha256=sha256(archive), member='*.onnx')
    assert os.path.basename(path) == 'net-1.onnx'
    assert open(path, 'rb').read() == PAYLOAD
    assert not os.path.exists(cached_path(url))  # the archive is deleted
    (folder / 'net-1.tar.gz').unlink()
    assert fetch_model_file(url, sha256=sha256(archive),
                            member='*.onnx') == path


def test_an_archive_without_the_member_is_an_error(http_folder):
    folder, base = http_folder
    archive = make_tar({'a.onnx': PAYLOAD, 'b.onnx': PAYLOAD})
    (folder / 'two.tar.gz').write_bytes(archive)
    for pattern in ('*.json', '*.onnx'):
        with pytest.raises(ModelFileUnavailable, match='one member'):
            fetch_model_file(f'{base}/two.tar.gz', member=pattern)


def test_hugging_face_files_are_cached_under_their_repo_name():
    # every HF repo calls its weights alike: two encoders must not collide
    base = 'https://huggingface.co/timm/{}/resolve/main/model.safetensors'
    b16 = cached_path(base.format('vit_base_patch16_clip_224.openai'))
    l14 = cached_path(base.format('vit_large_patch14_clip_224.openai'))
    assert b16 != l14
    assert os.path.basename(b16) == \
        'vit_base_patch16_clip_224.openai-model.safetensors'
    assert os.path.basename(cached_path(
        'https://example.org/weights/resolve.pth')) == 'resolve.pth'
