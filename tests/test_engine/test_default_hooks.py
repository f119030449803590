import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from qcdet.engine import drop_disabled_hooks


def demo_cfg(tmp_path, **hooks):
    cfg = Config.fromfile('configs/baseline_demo.py')
    cfg.work_dir = str(tmp_path)
    cfg.default_hooks.update(hooks)
    return cfg


def hook_types(runner):
    return {type(h).__name__ for h in runner.hooks}


def test_none_switches_off_qcdet_default_hooks(tmp_path):
    cfg = demo_cfg(tmp_path, invalid_loss=None, step_seed=None,
                   checkpoint=None)
    with pytest.raises(AssertionError):  # MMEngine alone refuses it
        Runner.from_cfg(cfg.copy())
    runner = Runner.from_cfg(drop_disabled_hooks(cfg))
    types = hook_types(runner)
    assert not types & {'CheckInvalidLossHook', 'StepSeedHook',
                        'CheckpointHook'}
    assert {'IterTimerHook', 'LoggerHook'} <= types


def test_hooks_left_on_stay(tmp_path):
    cfg = drop_disabled_hooks(demo_cfg(tmp_path))
    assert {'CheckInvalidLossHook', 'StepSeedHook',
            'CheckpointHook'} <= hook_types(Runner.from_cfg(cfg))
