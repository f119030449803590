"""``default_hooks`` entries set to None, for every hook.

MMEngine's ``Runner`` drops a default hook set to None only for the six it
defines itself (``runtime_info``, ``timer``, ``sampler_seed``, ``logger``,
``param_scheduler``, ``checkpoint``) and fails an assertion for any other
name. qcdet adds ``step_seed`` and ``invalid_loss``; this gives them the
same switch (``--cfg-options default_hooks.invalid_loss=None``).
"""
from mmengine.config import Config

__all__ = ['MMENGINE_DEFAULT_HOOKS', 'drop_disabled_hooks']

MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')


def drop_disabled_hooks(cfg: Config) -> Config:
    """Removes the non-MMEngine ``default_hooks`` entries that are None
    (MMEngine's own are left for the Runner to drop). In place; returns
    ``cfg``."""
    hooks = cfg.get('default_hooks')
    if hooks:
        for name in [k for k, v in hooks.items()
                     if v is None and k not in MMENGINE_DEFAULT_HOOKS]:
            hooks.pop(name)
    return cfg
