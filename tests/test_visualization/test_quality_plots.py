"""Histograms and the curriculum timeline carry the numbers of the
per-epoch quality files."""
import json

import numpy as np
import pytest

from qcdet.visualization import (
    load_quality_files,
    plot_curriculum_timeline,
    plot_quality_histograms,
    save_figure,
)

METHODS = ['swap'] * 5 + ['reenact'] * 3


def quality_file(epoch, rng, hard_fraction):
    n = len(METHODS)
    num_hard = int(round(hard_fraction * n))
    easy = [i >= num_hard for i in range(n)]
    dynamic = [None if epoch == 1 and i == 0 else float(rng.random())
               for i in range(n)]
    return dict(epoch=epoch, num_fakes=n, num_hard=num_hard,
                num_easy=n - num_hard, hard_fraction=num_hard / n,
                mean_fqs=0.0, per_method={},
                samples=dict(index=list(range(n)), method=METHODS,
                             static=[float(rng.random()) for _ in range(n)],
                             dynamic=dynamic,
                             fqs=[float(rng.random() + epoch)
                                  for _ in range(n)],
                             easy=easy))


@pytest.fixture
def work_dir(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / 'quality').mkdir()
    for epoch, frac in ((1, 0.25), (2, 0.5), (10, 1.0)):
        (tmp_path / 'quality' / f'epoch_{epoch}.json').write_text(
            json.dumps(quality_file(epoch, rng, frac)))
    (tmp_path / 'quality' / 'notes.json').write_text('{}')  # ignored
    return tmp_path


def test_files_load_in_epoch_order(work_dir):
    files = load_quality_files(str(work_dir))
    assert list(files) == [1, 2, 10]


def test_histograms_count_fakes_per_method(work_dir, tmp_path):
    files = load_quality_files(str(work_dir))
    fig, data = plot_quality_histograms(files[1])
    assert data['swap']['count'] == 5 and data['reenact']['count'] == 3
    assert len(data['swap']['static']) == 5
    # the one fake without feedback is left out and counted
    assert len(data['swap']['dynamic']) == 4
    assert data['swap']['missing_dynamic'] == 1
    np.testing.assert_allclose(data['reenact']['fqs'],
                               files[1]['samples']['fqs'][5:])
    # one legend entry per method in every panel, with its count
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith('reenact (n=3') and 'swap (n=5' in legend[1]
    save_figure(fig, str(tmp_path / 'hist.png'))
    assert (tmp_path / 'hist.png').stat().st_size > 10_000


def test_timeline_matches_the_files(work_dir):
    files = load_quality_files(str(work_dir))
    _, timeline = plot_curriculum_timeline(files)
    np.testing.assert_array_equal(timeline['epochs'], [1, 2, 10])
    np.testing.assert_allclose(timeline['hard_fraction'],
                               [files[e]['hard_fraction'] for e in files])
    assert timeline['num_hard'].tolist() == [2, 4, 8]
    for i, e in enumerate(files):
        fqs = np.array(files[e]['samples']['fqs'])
        assert timeline['mean_fqs'][i] == pytest.approx(fqs.mean())
        assert timeline['method_fqs']['reenact'][i] == pytest.approx(
            fqs[5:].mean())
        easy = np.array(files[e]['samples']['easy'])
        assert timeline['method_easy_fraction']['swap'][i] == \
            pytest.approx(easy[:5].mean())


def test_no_quality_files_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='epoch_N.json'):
        load_quality_files(str(tmp_path))
