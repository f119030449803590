"""``init_cfg=dict(type='Pretrained', checkpoint=PATH_OR_URL)`` that fails
loudly and fetches published weights once.

MMEngine's own ``Pretrained`` loads with ``strict=False`` and only logs the
keys that did not fit, so a wrong checkpoint silently trains from random
weights. With ``default_scope='qcdet'`` this one is found first: it loads
strictly and raises an error naming the file and the missing, unexpected and
mis-shaped keys (use ``prefix='backbone.'`` for a classifier's checkpoint).

A URL is fetched through :func:`qcdet.utils.fetch_model_file` (one cache,
checked against the ``sha256`` its source publishes); offline without the
file, the error says where to put it and how to train without it.
"""
from mmengine.model.weight_init import PretrainedInit

from qcdet.registry import WEIGHT_INITIALIZERS
from qcdet.utils.download import fetch_model_file

__all__ = ['StrictPretrainedInit', 'fetch_pretrained_checkpoint',
           'pretrained_init_cfgs', 'fetch_pretrained_weights']

_NO_PRETRAINING = ('train from random weights with --cfg-options '
                   '{key}=None')


def fetch_pretrained_checkpoint(init_cfg: dict,
                                key: str = 'model.backbone.init_cfg') -> str:
    """Local path of a ``Pretrained`` init_cfg's checkpoint (downloaded and
    checked when it is a URL); ``key`` names it in the error message."""
    return fetch_model_file(init_cfg['checkpoint'],
                            sha256=init_cfg.get('sha256'),
                            hint=_NO_PRETRAINING.format(key=key))


def pretrained_init_cfgs(cfg, key: str = 'model'):
    """``(dotted key, init_cfg)`` of every ``Pretrained`` init_cfg inside a
    model config (backbones, copies of them, heads)."""
    if isinstance(cfg, dict):
        if key.endswith('init_cfg') and cfg.get('type') == 'Pretrained':
            yield key, cfg
            return
        for name, value in cfg.items():
            yield from pretrained_init_cfgs(value, f'{key}.{name}')
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:  # a list of init_cfgs
            yield from pretrained_init_cfgs(value, key)


def fetch_pretrained_weights(model_cfg) -> list:
    """Fetch every pretrained checkpoint a model config names, before any
    data is read: a missing file stops a run at once, with one message
    (:class:`qcdet.utils.ModelFileUnavailable`). Returns the local paths."""
    return [fetch_pretrained_checkpoint(init_cfg, key)
            for key, init_cfg in pretrained_init_cfgs(model_cfg)]


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class StrictPretrainedInit(PretrainedInit):
    """Args as MMEngine's ``Pretrained``, plus ``strict`` (default True;
    False restores MMEngine's log-and-continue behaviour) and ``sha256``
    (the hash the checkpoint's source publishes, whole or a prefix)."""

    def __init__(self, checkpoint, prefix=None, map_location='cpu',
                 strict=True, sha256=None):
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        self.strict = strict
        self.sha256 = sha256

    def __call__(self, module):
        from mmengine.runner.checkpoint import (
            _load_checkpoint_with_prefix,
            load_checkpoint,
            load_state_dict,
        )
        self.checkpoint = fetch_pretrained_checkpoint(
            dict(checkpoint=self.checkpoint, sha256=self.sha256))
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
