"""The commented TensorBoard line of default_runtime.py gives a working
visualizer."""
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from qcdet.registry import VISUALIZERS

REPO = Path(__file__).resolve().parents[2]


def test_tensorboard_backend_from_the_runtime_comment(tmp_path):
    pytest.importorskip('tensorboard')
    runtime = (REPO / 'configs/_base_/default_runtime.py').read_text()
    line = re.search(r'^# (vis_backends = .*TensorboardVisBackend.*)$',
                     runtime, re.M)
    assert line, 'default_runtime.py lost its TensorBoard example line'
    cfg = Config.fromfile(str(REPO / 'configs/baseline_demo.py'))
    backends = eval(line.group(1).split('=', 1)[1])  # a literal list
    visualizer_cfg = dict(cfg.visualizer, vis_backends=backends,
                          save_dir=str(tmp_path), name='tensorboard_test')
    visualizer = VISUALIZERS.build(visualizer_cfg)
    assert [type(b).__name__ for b in visualizer._vis_backends.values()] \
        == ['LocalVisBackend', 'TensorboardVisBackend']
    visualizer.add_scalars(dict(loss=0.5), step=1)
    visualizer.close()
    # both backends wrote the scalar, side by side in save_dir/vis_data
    assert list((tmp_path / 'vis_data').glob('events.out.tfevents.*'))
    assert '"loss": 0.5' in (tmp_path / 'vis_data' /
                             'scalars.json').read_text()
