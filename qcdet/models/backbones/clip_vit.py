"""A timm ViT (e.g. CLIP ``vit_base_patch16_clip_224.openai``) as a
backbone returning the CLS token, with the freezing the CLIP-adaptation
detectors need: a linear probe on frozen features (UnivFD), LayerNorm-only
tuning (GenD) or Effort's SVD residuals. Weights load through
:class:`TimmBackbone`'s init_cfg."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from qcdet.models.layers import SVDResidualLinear, apply_svd_residual
from qcdet.registry import MODELS

from .timm_backbone import TimmBackbone

__all__ = ['ClipViTBackbone']

_TRAINABLE = ('all', 'none', 'layernorm', 'effort')
# Effort's released code splits the self-attention projections only
_EFFORT_TARGETS = ('qkv', 'proj')


@MODELS.register_module()
class ClipViTBackbone(TimmBackbone):
    """``TimmBackbone`` for ViTs: ``forward`` returns ``(cls_token, )``,
    shape [B, C].

    Args:
        trainable: ``'all'`` (full fine-tuning), ``'none'`` (frozen, kept
            in eval mode during training: a linear probe),
            ``'layernorm'`` (only LayerNorm weights and biases train) or
            ``'effort'`` (everything frozen; the ``svd_targets`` linears
            of the blocks become :class:`SVDResidualLinear` and only their
            residual singular directions train).
        svd_rank: ``'effort'`` only: trained singular directions per
            projection (default 1, Effort's ``r = dim - 1`` frozen ones).
        svd_targets: ``'effort'`` only: names of the block linears to split
            (default ``('qkv', 'proj')``, Effort's attention projections;
            add ``'fc1', 'fc2'`` for the MLP). A fused ``qkv`` is split as
            separate q, k and v.
        Others as :class:`TimmBackbone`.

    With ``'effort'`` the split is taken from the weights the model holds:
    at construction (from ``checkpoint_path`` when given), and again, in
    place, when ``init_weights()`` loads a ``Pretrained`` init_cfg. In place
    matters: MMEngine builds the optimizer and the DDP wrapper before
    ``init_weights()``. The state dict holds the split layers, so a qcdet
    checkpoint (``--resume``, ``tools/test.py``) loads into a fresh model.
    A split costs one SVD per projection (ViT-B/16, attention: ~15 s on
    one CPU core).
    """

    def __init__(self, model_name: str, trainable: str = 'all',
                 svd_rank: Optional[int] = None,
                 svd_targets: Optional[Sequence[str]] = None, **kwargs):
        if trainable not in _TRAINABLE:
            raise ValueError(f'trainable must be one of {_TRAINABLE}, got '
                             f'{trainable!r}')
        if trainable != 'effort' and (svd_rank is not None
                                      or svd_targets is not None):
            raise ValueError("svd_rank and svd_targets apply to "
                             f"trainable='effort' only, not {trainable!r}")
        super().__init__(model_name, **kwargs)
        self.trainable = trainable
        if trainable != 'all':
            for param in self.model.parameters():
                param.requires_grad = False
        if trainable == 'layernorm':
            for module in self.model.modules():
                if isinstance(module, nn.LayerNorm):
                    for param in module.parameters():
                        param.requires_grad = True
        if trainable == 'effort':
            self._split(1 if svd_rank is None else svd_rank,
                        _EFFORT_TARGETS if svd_targets is None else
                        svd_targets)

    def _split(self, svd_rank: int, targets: Sequence[str]) -> None:
        if isinstance(targets, str):
            targets = (targets, )
        if not targets:
            raise ValueError('svd_targets must name at least one linear')
        blocks = getattr(self.model, 'blocks', self.model)
        if not apply_svd_residual(blocks, svd_rank, targets=targets):
            raise ValueError(
                f"ClipViTBackbone(trainable='effort'): {self.model_name!r} "
                f'has no nn.Linear named {tuple(targets)} in its blocks')

    def svd_layers(self) -> dict:
        """``{name: SVDResidualLinear}`` inside ``self.model``."""
        return {
            name: module
            for name, module in self.model.named_modules()
            if isinstance(module, SVDResidualLinear)
        }

    def _read_state_dict(self, path: str):
        # OpenAI's CLIP weights come in OpenAI's layout (``visual.*``, as
        # timm's Hugging Face repos publish them); timm's own converter maps
        # them onto its ViT
        state_dict = super()._read_state_dict(path)
        if 'visual.class_embedding' in state_dict:
            from timm.models.vision_transformer import checkpoint_filter_fn
            state_dict = checkpoint_filter_fn(state_dict, self.model)
        return state_dict

    def load_timm_checkpoint(self, path: str) -> None:
        """Also for a split model: the checkpoint's dense weights load into
        dense stand-ins (so every key check of :class:`TimmBackbone`
        applies), which are then split into the existing layers in place."""
        layers = self.svd_layers()
        if not layers:
            return super().load_timm_checkpoint(path)
        dense = {name: layer.to_linear() for name, layer in layers.items()}
        try:
            for name, linear in dense.items():
                _set_submodule(self.model, name, linear)
            super().load_timm_checkpoint(path)
        finally:
            for name, layer in layers.items():
                _set_submodule(self.model, name, layer)
        for name, layer in layers.items():
            layer.decompose_(dense[name].weight, dense[name].bias)

    def train(self, mode: bool = True):
        # a frozen probe backbone never leaves eval mode (dropout off)
        super().train(mode and self.trainable != 'none')
        return self

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        return (self.model.forward_features(x)[:, 0], )


def _set_submodule(root: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, leaf = name.rpartition('.')
    setattr(root.get_submodule(parent), leaf, module)
