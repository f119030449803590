"""Fixtures shared by the face-crop tests."""
import pytest
from preprocess_videos import make_ffpp_tree


@pytest.fixture(scope='module')
def ffpp_root(tmp_path_factory):
    """A small generated FF++ tree (raw videos in the official layout)."""
    root = tmp_path_factory.mktemp('ffpp_raw')
    make_ffpp_tree(root)
    return root
