"""The demo set the end-to-end tests of the command-line tools train on;
the helpers that run the tools are tests/conftest.py's `cli` fixture."""
import pytest

from qcdet.offline.synthetic_data.generate import generate_demo_dataset


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    generate_demo_dataset(str(root),
                          seed=0,
                          num_identities=10,
                          videos_per_identity=1,
                          frames_per_video=3,
                          size=32)
    return root

