"""ONNX export: the exported graph takes raw BGR 0-255 frames and gives the
probabilities tools/test.py computes, for any batch size."""
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from qcdet.registry import DATASETS, MODELS

ort = pytest.importorskip('onnxruntime')

CONFIG = 'configs/baseline_demo.py'


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """A randomly initialised demo detector saved as an MMEngine checkpoint
    (no training needed to compare two runtimes); the head gets large
    weights so that frames get clearly different scores."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    for param in model.head.parameters():
        torch.nn.init.normal_(param, std=1.0)
    path = tmp_path_factory.mktemp('onnx') / 'model.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path, model.eval()


def export(checkpoint, out, *extra, capsys):
    argv = sys.argv
    sys.argv = ['export_onnx.py', CONFIG, str(checkpoint), '--out', str(out),
                '--shape', '64', '64', *extra]
    try:
        runpy.run_path('tools/deploy/export_onnx.py', run_name='__main__')
    finally:
        sys.argv = argv
    return capsys.readouterr().out


def test_onnx_equals_pytorch_on_demo_frames(checkpoint, demo_root, tmp_path,
                                            capsys):
    path, model = checkpoint
    out = tmp_path / 'model.onnx'
    printed = export(path, out, capsys=capsys)
    assert 'equivalence check passed' in printed
    diff = float(printed.split('PyTorch, batch 3): ')[1].split()[0])
    assert diff <= 1e-4

    # the test pipeline's frames (uint8 BGR CHW, 64 px), as tools/test.py
    # feeds them: data_preprocessor, then predict
    cfg = Config.fromfile(CONFIG)
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(demo_root)
    dataset = DATASETS.build(dataset_cfg)
    spread = np.linspace(0, len(dataset) - 1, 5).astype(int)  # real & fake
    batch = pseudo_collate([dataset[int(i)] for i in spread])
    with torch.no_grad():
        samples = model.test_step(batch)
    expected = np.array([s.pred_score.numpy() for s in samples])
    images = torch.stack(batch['inputs']).numpy().astype(np.float32)
    session = ort.InferenceSession(str(out),
                                   providers=['CPUExecutionProvider'])
    assert [i.shape[0] for i in session.get_inputs()] == ['batch']
    probs = session.run(['probs'], {'images': images})[0]
    assert probs.shape == (5, 2)
    np.testing.assert_allclose(probs, expected, atol=1e-4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # a real comparison: the frames' scores differ by far more than atol
    assert np.ptp(probs[:, 1]) > 1e-3


def test_failed_check_exits(checkpoint, tmp_path, capsys):
    path, _ = checkpoint
    with pytest.raises(SystemExit, match='differs from PyTorch'):
        export(path, tmp_path / 'model.onnx', '--atol', '-1', capsys=capsys)
