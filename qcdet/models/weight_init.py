"""``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` that fails loudly.

MMEngine's own ``Pretrained`` loads with ``strict=False`` and only logs the
keys that did not fit, so a wrong checkpoint silently trains from random
weights. With ``default_scope='qcdet'`` this one is found first: it loads
strictly and raises an error naming the file and the missing, unexpected and
mis-shaped keys (use ``prefix='backbone.'`` for a classifier's checkpoint).
"""
from mmengine.model.weight_init import PretrainedInit

from qcdet.registry import WEIGHT_INITIALIZERS

__all__ = ['StrictPretrainedInit']


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class StrictPretrainedInit(PretrainedInit):
    """Args as MMEngine's ``Pretrained``, plus ``strict`` (default True;
    False restores MMEngine's log-and-continue behaviour)."""

    def __init__(self, checkpoint, prefix=None, map_location='cpu',
                 strict=True):
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        self.strict = strict

    def __call__(self, module):
        from mmengine.runner.checkpoint import (_load_checkpoint_with_prefix,
                                                load_checkpoint,
                                                load_state_dict)
        if not self.strict:
            return super().__call__(module)
        try:
            if self.prefix is None:
                load_checkpoint(module, self.checkpoint, strict=True,
                                map_location=self.map_location)
            else:
                state_dict = _load_checkpoint_with_prefix(
                    self.prefix, self.checkpoint,
                    map_location=self.map_location)
                load_state_dict(module, state_dict, strict=True)
        except RuntimeError as e:
            raise RuntimeError(
                f'Checkpoint {self.checkpoint} does not fit '
                f'{type(module).__name__} (prefix={self.prefix!r}). For a '
                "whole classifier's checkpoint try prefix='backbone.'; pass "
                'strict=False to load what fits anyway.\n'
                f'{e}') from e
