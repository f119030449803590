"""Per-epoch training curves from MMEngine scalar logs, resumed runs
included."""
import json

import pytest

from qcdet.visualization import (
    find_scalar_logs,
    load_training_log,
    plot_training_curves,
    save_figure,
)


def write_log(work_dir, run, lines):
    folder = work_dir / run / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(
        '\n'.join(json.dumps(line) for line in lines) + '\n')


def train_line(epoch, it, loss, acc):
    return dict(lr=1e-3, loss=loss, acc=acc, epoch=epoch, iter=it, step=it)


def test_epoch_means_and_resume_override(tmp_path):
    write_log(tmp_path, '20260101_000000', [
        train_line(1, 1, 0.9, 0.5), train_line(1, 2, 0.7, 0.7),
        dict(frame_auc=0.6, video_auc=0.65, step=1),
        train_line(2, 3, 0.8, 0.6),  # interrupted epoch 2
    ])
    write_log(tmp_path, '20260101_010000', [  # the resumed run
        train_line(2, 3, 0.5, 0.8), train_line(2, 4, 0.3, 0.9),
        dict(frame_auc=0.8, video_auc=0.85, step=2),
    ])
    write_log(tmp_path, '20260101_020000', [  # tools/test.py, same dir
        dict(frame_auc=0.1, video_auc=0.1, step=0)])
    logs = find_scalar_logs(str(tmp_path))
    assert [p.parent.parent.name for p in logs] == [
        '20260101_000000', '20260101_010000', '20260101_020000']
    log = load_training_log(logs, ('frame_auc', 'video_auc'))
    assert log['train'][1] == pytest.approx(dict(loss=0.8, acc=0.6))
    assert log['train'][2] == pytest.approx(dict(loss=0.4, acc=0.85))
    assert log['val'] == {1: dict(frame_auc=0.6, video_auc=0.65),
                          2: dict(frame_auc=0.8, video_auc=0.85)}
    fig, _ = plot_training_curves(log)
    assert [ax.get_title() for ax in fig.axes] == [
        'training loss (epoch mean)', 'training accuracy (epoch mean)',
        'validation frame_auc', 'validation video_auc']
    line = fig.axes[2].get_lines()[0]
    assert list(line.get_ydata()) == [0.6, 0.8]
    save_figure(fig, str(tmp_path / 'curves.png'))
    assert (tmp_path / 'curves.png').stat().st_size > 10_000


def test_missing_logs_and_bad_lines(tmp_path):
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        find_scalar_logs(str(tmp_path))
    write_log(tmp_path, 'run', [])
    path = tmp_path / 'run' / 'vis_data' / 'scalars.json'
    path.write_text('{"loss": 1, "epoch": 1, "iter": 1}\nnot json\n')
    with pytest.raises(ValueError, match='scalars.json:2'):
        load_training_log([path])
