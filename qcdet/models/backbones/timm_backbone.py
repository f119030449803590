"""Any timm model as a backbone (EfficientNet-B4, MobileNetV3, ...).

ImageNet weights come the OpenMMLab way, ``init_cfg=dict(type='Pretrained',
checkpoint=URL_OR_PATH, sha256=...)``, fetched into the model cache by
:func:`qcdet.models.weight_init.fetch_pretrained_checkpoint` like every other
backbone's; or from a local file at build time with ``checkpoint_path``.
"""
from pathlib import Path
from typing import Dict, Optional, Tuple

import timm
import torch
from mmengine.model import BaseModule
from timm.models import adapt_input_conv

from qcdet.models.weight_init import fetch_pretrained_checkpoint
from qcdet.registry import MODELS

__all__ = ['TimmBackbone']

# Arguments this wrapper sets itself: it needs the unpooled feature map.
_RESERVED_TIMM_KWARGS = ('pretrained', 'num_classes', 'global_pool',
                         'features_only', 'in_chans', 'checkpoint_path')
# How many key names an error message lists before summarising.
_MAX_KEYS_SHOWN = 20


def _describe_keys(keys) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:_MAX_KEYS_SHOWN])
    if len(keys) > _MAX_KEYS_SHOWN:
        shown += f', ... ({len(keys) - _MAX_KEYS_SHOWN} more)'
    return shown


@MODELS.register_module()
class TimmBackbone(BaseModule):
    """Wrap ``timm.create_model(model_name)`` without its classifier and
    global pooling; ``forward`` returns ``(forward_features(x), )``.

    Args:
        model_name: timm model name, e.g. ``'efficientnet_b4'``.
        pretrained: ask for ImageNet weights from ``checkpoint_path``
            (timm's own hub download is never used).
        checkpoint_path: local timm-format state dict (``.pth`` or
            ``.safetensors``); loaded at build time whenever given. The
            checkpoint's classifier is dropped; a 3-channel stem is adapted
            when ``in_channels`` differs.
        init_cfg: ``dict(type='Pretrained', checkpoint=URL_OR_PATH,
            sha256=None)`` loads a timm-format checkpoint the same way in
            ``init_weights()`` (what the FF++ configs use).
        in_channels: input channels.
        **timm_kwargs: passed to ``timm.create_model``
            (e.g. ``drop_path_rate=0.2``).

    Attributes:
        out_channels: channels of the returned map (timm's ``num_features``),
            for the head's ``in_channels``.
    """

    def __init__(self, model_name: str, pretrained: bool = False,
                 checkpoint_path: Optional[str] = None, in_channels: int = 3,
                 init_cfg=None, **timm_kwargs):
        super().__init__(init_cfg)
        if pretrained and checkpoint_path is None:
            raise ValueError(
                f'TimmBackbone({model_name!r}): pretrained=True needs a '
                'local checkpoint_path=/path/to/weights.pth, or use '
                "init_cfg=dict(type='Pretrained', checkpoint=URL_OR_PATH)")
        reserved = sorted(set(timm_kwargs) & set(_RESERVED_TIMM_KWARGS))
        if reserved:
            raise ValueError(f'TimmBackbone sets {reserved} itself; remove '
                             'them from the backbone config')
        self.model_name = model_name
        self.model = timm.create_model(
            model_name,
            pretrained=False,
            num_classes=0,
            global_pool='',
            in_chans=in_channels,
            **timm_kwargs)
        self.out_channels = self.model.num_features

        if checkpoint_path is not None:
            self.load_timm_checkpoint(checkpoint_path)
            # Keep init_weights() from re-initialising loaded weights.
            self._is_init = True

    def init_weights(self) -> None:
        # timm's key names (no ``model.`` prefix) and classifier/stem
        # handling, so MMEngine's generic Pretrained loader is not used
        init_cfg = self.init_cfg
        if isinstance(init_cfg, dict) and \
                init_cfg.get('type') == 'Pretrained':
            unknown = set(init_cfg) - {'type', 'checkpoint', 'sha256'}
            if unknown:
                raise ValueError(
                    'TimmBackbone: a Pretrained init_cfg takes checkpoint '
                    f'and sha256, not {sorted(unknown)}')
            self.load_timm_checkpoint(fetch_pretrained_checkpoint(init_cfg))
            self._is_init = True
            return
        super().init_weights()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        return (self.model.forward_features(x), )

    def load_timm_checkpoint(self, path: str) -> None:
        """Load a timm-format state dict, failing loudly on any mismatch."""
        state_dict = self._read_state_dict(path)
        state_dict = self._drop_classifier(state_dict)
        self._adapt_stem(state_dict)

        expected = self.model.state_dict()
        missing = [
            k for k in expected
            if k not in state_dict and not k.endswith('num_batches_tracked')
        ]
        unexpected = [k for k in state_dict if k not in expected]
        mismatched = [
            f'{k} (checkpoint {tuple(v.shape)}, model '
            f'{tuple(expected[k].shape)})' for k, v in state_dict.items()
            if k in expected and v.shape != expected[k].shape
        ]
        if missing or unexpected or mismatched:
            problems = []
            if missing:
                problems.append(f'missing keys: {_describe_keys(missing)}')
            if unexpected:
                problems.append(
                    f'unexpected keys: {_describe_keys(unexpected)}')
            if mismatched:
                problems.append(
                    f'shape mismatches: {_describe_keys(mismatched)}')
            raise RuntimeError(
                f'Checkpoint {path} does not fit timm model '
                f'{self.model_name!r}; ' + '; '.join(problems))
        self.model.load_state_dict(state_dict, strict=False)

    def _read_state_dict(self, path: str) -> Dict[str, torch.Tensor]:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(
                f'TimmBackbone({self.model_name!r}): checkpoint file {path} '
                'does not exist')
        if file.suffix == '.safetensors':
            from safetensors.torch import load_file
            checkpoint = load_file(str(file), device='cpu')
        else:
            checkpoint = torch.load(
                file, map_location='cpu', weights_only=True)
        # Training checkpoints wrap the weights.
        for wrapper_key in ('state_dict', 'model'):
            if isinstance(checkpoint, dict) and \
                    isinstance(checkpoint.get(wrapper_key), dict):
                checkpoint = checkpoint[wrapper_key]
                break
        if not isinstance(checkpoint, dict):
            raise TypeError(f'Checkpoint {path} holds a '
                            f'{type(checkpoint).__name__}, not a state dict')
        return {
            k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in checkpoint.items()
        }

    def _drop_classifier(self, state_dict):
        classifier = self.model.pretrained_cfg.get('classifier')
        names = (classifier, ) if isinstance(classifier, str) else \
            tuple(classifier or ())
        return {
            k: v
            for k, v in state_dict.items()
            if not any(k.startswith(name + '.') for name in names)
        }

    def _adapt_stem(self, state_dict) -> None:
        # An RGB checkpoint can still seed a stem with another channel count
        # (e.g. SRM residuals stacked on RGB): timm repeats/sums the kernels.
        first_conv = self.model.pretrained_cfg.get('first_conv')
        key = f'{first_conv}.weight' if isinstance(first_conv, str) else None
        if key is None or key not in state_dict:
            return
        weight = state_dict[key]
        wanted = self.model.state_dict()[key].shape[1]
        if weight.dim() == 4 and weight.shape[1] == 3 and wanted != 3:
            state_dict[key] = adapt_input_conv(wanted, weight)
