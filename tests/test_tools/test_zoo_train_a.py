"""A frequency-aware zoo detector trains through tools/train.py on the demo
data, as it is and the quality-centric way, and its training feedback
reaches the quality hook.

Each detector costs two short training processes (~25 s of CPU)."""
import json

import pytest

from qcdet.offline.static_quality import score_annotation

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

DETECTORS = ['srm', 'spsl', 'f3net']


@pytest.fixture(scope='module')
def scored_root(demo_root):
    static = demo_root / 'annotations' / 'train_static.json'
    if not static.exists():
        score_annotation(str(demo_root / 'annotations' / 'train.json'),
                         str(static), dict(type='SSIMSimilarityEvaluator'),
                         progress=False)
    return demo_root


@pytest.mark.parametrize('algorithm', DETECTORS)
def test_demo_detector_trains_with_and_without_qc(algorithm, scored_root,
                                                  tmp_path, cli):
    config = f'configs/{algorithm}/{algorithm}_mobilenetv3_1xb32_12e_demo.py'
    qc_config = f'configs/{algorithm}/qc_{algorithm}_mobilenetv3_1xb32_12e_' \
        'demo.py'

    out = cli.train(config, tmp_path / 'plain', scored_root,
                    **{'train_cfg.max_epochs': 1})
    assert 'frame_auc' in out
    assert (tmp_path / 'plain' / 'epoch_1.pth').is_file()

    cli.train(qc_config, tmp_path / 'qc', scored_root,
              **{'train_cfg.max_epochs': 1})
    quality = json.loads(
        (tmp_path / 'qc' / 'quality' / 'epoch_1.json').read_text())
    # every fake seen as it is (not through FreDA) got the detector's
    # feedback from its training forward pass
    dynamic = quality['samples']['dynamic']
    assert len(dynamic) == quality['num_fakes'] > 0
    seen_raw = [v > 0 and not e for v, e in zip(quality['samples']['visits'],
                                               quality['samples']['easy'])]
    assert [d is not None for d in dynamic] == seen_raw and any(seen_raw)
