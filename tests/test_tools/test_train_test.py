"""End to end through the command-line tools on a tiny synthetic dataset."""
import json
import os

import pytest

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow


def test_train_then_test(demo_root, tmp_path, cli):
    work = tmp_path / 'work'
    # None switches a qcdet default hook off (MMEngine alone refuses it)
    out = cli.train('configs/baseline_demo.py', work, demo_root,
                    **{'train_cfg.max_epochs': 2,
                       'default_hooks.invalid_loss': None})
    assert 'CheckInvalidLossHook' not in out and 'StepSeedHook' in out
    assert (work / 'epoch_2.pth').is_file()
    best = list(work.glob('best_frame_auc_epoch_*.pth'))
    assert len(best) == 1
    out = cli.run([
        cli.python, 'tools/test.py', 'configs/baseline_demo.py',
        str(best[0]), '--work-dir',
        str(work), '--out',
        str(tmp_path / 'preds.pkl'), *cli.cfg_options(demo_root)
    ])
    metrics = cli.last_json(out)
    for key in ('frame_auc', 'video_auc', 'eer', 'ap', 'acc'):
        assert 0.0 <= metrics[key] <= 1.0
    assert (tmp_path / 'preds.pkl').is_file()


def test_resume_continues_on_safe_torch_load(demo_root, tmp_path, cli):
    work = tmp_path / 'work'
    cli.train('configs/baseline_demo.py', work, demo_root,
              **{'train_cfg.max_epochs': 1})
    out = cli.train('configs/baseline_demo.py', work, demo_root, '--resume',
                    **{'train_cfg.max_epochs': 2})
    assert 'resumed epoch: 1' in out
    assert (work / 'epoch_2.pth').is_file()


def test_two_process_cpu_training(demo_root, tmp_path, cli):
    work = tmp_path / 'work'
    out = cli.run([
        'bash', 'tools/dist_train.sh', 'configs/baseline_demo.py', '2',
        '--work-dir',
        str(work), *cli.cfg_options(demo_root, **{'train_cfg.max_epochs': 1})
    ],
                  PORT=str(29500 + os.getpid() % 1000))
    assert 'Distributed training: True' in out and 'GPU number: 2' in out
    # evaluation saw every validation frame exactly once across both ranks
    val = json.loads((demo_root / 'annotations' / 'val.json').read_text())
    assert f"num_frames: {len(val['data_list'])} " in out
    assert (work / 'epoch_1.pth').is_file()
