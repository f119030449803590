"""studies/sbi_smoke.py: its pieces, and a tiny end-to-end run on the
shared clips (skipped where absent) that prints the tables, the ``name:
value`` lines and writes the figure (the full-size figure is in
docs/sbi.md)."""
import json

import numpy as np
import pytest
from test_generalization import name_values, run_script

from studies import sbi_smoke

# end to end through a subprocess: a minute or two
pytestmark = pytest.mark.slow


def test_resampled_auc_is_scikit_learns():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=(20, 30)), 1)  # with ties
    labels = [0] * 12 + [1] * 18
    assert np.allclose(sbi_smoke.auc_of_rows(scores, 12),
                       [roc_auc_score(labels, row) for row in scores])


def test_bootstrap_auc():
    labels = [0, 0, 0, 1, 1, 1]
    assert sbi_smoke.bootstrap_auc(labels, [0, 1, 2, 3, 4, 5], 100) == \
        (1.0, 1.0, 1.0)
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(60), np.ones(40)].astype(int)
    scores = rng.normal(size=100) + 0.8 * labels
    auc, low, high = sbi_smoke.bootstrap_auc(labels, scores, 300, seed=1)
    assert low < auc < high and 0.1 < high - low < 0.35
    assert sbi_smoke.bootstrap_auc(labels, scores, 300, seed=1) == \
        (auc, low, high)


def test_random_label_control_is_fixed_per_sample_and_balanced():
    control = sbi_smoke.BenchmarkRandomLabel(seed=3)
    labels = [control.transform(dict(sample_idx=i, label=1))['label']
              for i in range(400)]
    again = [control.transform(dict(sample_idx=i, label=0))['label']
             for i in range(400)]
    assert labels == again and 150 < sum(labels) < 250


def test_run_configs():
    args = sbi_smoke.parse_args(['--out', '/tmp/unused'])
    assert (args.seeds, args.img_size, args.crop_size) == ([0, 1, 2], 96, 128)
    sbi = sbi_smoke.run_config(args, 'sbi', 1, '/data')
    dataset = sbi.train_dataloader.dataset
    assert dataset.reals_only and dataset.self_blend
    assert dataset.self_blend_seed == 1 and sbi.randomness.seed == 1
    assert [t['type'] for t in dataset.pipeline][:2] == ['LoadFrame',
                                                         'SelfBlend']
    assert sbi.train_cfg.max_epochs == args.epochs
    shuffled = sbi_smoke.run_config(args, 'random_labels', 1, '/data')
    steps = [t['type'] for t in shuffled.train_dataloader.dataset.pipeline]
    assert steps[-2:] == ['BenchmarkRandomLabel', 'PackDeepfakeInputs']
    assert steps[:-2] == [t['type'] for t in dataset.pipeline][:-1]
    assert sbi_smoke.run_config(args, 'untrained', 1,
                                '/data').train_cfg.max_epochs == 0


def test_sbi_smoke_tiny(tmp_path, shared_data):
    from sklearn.metrics import roc_auc_score
    out = tmp_path / 'sbi'
    text = run_script('sbi_smoke', '--shared', str(shared_data), '--out',
                      str(out), '--seeds', '0', '--epochs', '1',
                      '--num-frames', '3', '--crop-size', '64',
                      '--img-size', '64', '--bootstrap', '50',
                      '--num-workers', '0')
    values = name_values(text)
    # trained on the originals' earlier frames only, all with landmarks
    ann = out / 'ffpp' / 'annotations' / 'sbi'
    train = json.loads((ann / 'train_reals.json').read_text())['data_list']
    test = json.loads((ann / 'test_reals.json').read_text())['data_list']
    assert {r['method'] for r in train} == {'real'} and len(train) == 6
    assert all(len(r['landmarks']) == 68 for r in train)
    assert not {r['img_path'] for r in train} & {r['img_path'] for r in test}
    table = json.loads((out / 'results.json').read_text())['table']
    assert set(table) == set(sbi_smoke.VARIANTS)
    for variant, targets in table.items():
        assert set(targets) == set(sbi_smoke.TARGETS)
        for target, cells in targets.items():
            (cell,) = cells
            assert cell['low'] <= cell['auc'] <= cell['high'], cell
            assert float(values[f'{variant}_frame_auc_{target}']) == \
                pytest.approx(cell['auc'], abs=1e-4)
    assert table['sbi']['DFDC'][0]['n_real'] + \
        table['sbi']['DFDC'][0]['n_fake'] == 167
    assert (table['sbi']['self_blends'][0]['n_real'],
            table['sbi']['self_blends'][0]['n_fake']) == (3, 3)
    # the printed AUC is scikit-learn's on the stored scores
    run = json.loads((out / 'runs' / 'sbi' / 'seed0.json').read_text())
    scores = run['scores']['Deepfakes']
    assert roc_auc_score(scores['labels'], scores['scores']) == \
        pytest.approx(table['sbi']['Deepfakes'][0]['auc'])
    assert json.loads((out / 'runs' / 'untrained' / 'seed0.json'
                       ).read_text())['epochs'] == 0
    assert '| target set | reals / fakes |' in text
    figure = out / 'sbi_smoke.png'
    assert figure.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert figure.stat().st_size < 200_000
