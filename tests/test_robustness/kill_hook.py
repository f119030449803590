"""Test-only hook: a real, unannounced death of the training process."""
import os
import signal

from mmengine.hooks import Hook

from qcdet.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILLs the training process right after the optimizer step of
    global iteration ``$QCDET_KILL_AT_ITER`` (0-based): no exception, no
    hook, no checkpoint, like an out-of-memory kill or a pulled plug. Does
    nothing when the variable is unset, so the killed and the uninterrupted
    runs share one config."""
    priority = 'LOWEST'  # after the step was logged


    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        at = os.environ.get('QCDET_KILL_AT_ITER')
        if at is not None and runner.iter == int(at):
            os.kill(os.getpid(), signal.SIGKILL)
