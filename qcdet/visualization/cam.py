"""Grad-CAM (Selvaraju et al., ICCV 2017) for qcdet's detectors: where on
the face crop the evidence for "fake" (or "real") lies.

A small implementation with torch hooks rather than the ``grad-cam``
package (pytorch-grad-cam, what mmpretrain's vis_cam uses): its hooks only
record gradients of layers that return one tensor, while qcdet's backbones
return a tuple of maps (``DeepfakeDetector`` pools the last), and the
package pulls in ``opencv-python-headless`` beside the ``opencv-python``
installed here. Grad-CAM itself is a few lines: the target layer's map,
each channel weighted by its gradient's spatial mean, summed, ReLU.

Vision transformers (the CLIP detectors' timm ViTs) give tokens, not maps:
a layer's ``[B, N, C]`` output is turned into ``[B, C, H, W]`` by dropping
the prefix tokens (CLS, registers) and laying the patch tokens out on the
patch grid, as mmpretrain's vis_cam does with its ``reshape_transform``.
The default layer is the last block's first LayerNorm (``norm1``): the
tokens the CLS token attends to last. The blocks' outputs would not do: the
last one's patch tokens never reach the CLS token the head reads.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    'CAM_TARGETS', 'default_target_layers', 'find_layer', 'GradCAM',
    'overlay_cam', 'cam_panel'
]

CAM_TARGETS = {'real': 0, 'fake': 1}
# the map each detector pools for its real/fake head, where it is not the
# backbone's last one: SRM fuses its two streams, UCF projects the common
# forgery features
_POOLED_MAPS: Dict[str, str] = {
    'SRMDetector': 'fusion',
    'UCFDetector': 'common_proj',
}


def _token_model(model: nn.Module) -> Optional[nn.Module]:
    """The timm vision transformer a detector's backbone wraps (it has
    ``blocks``, a ``patch_embed`` and ``num_prefix_tokens``), else None."""
    vit = getattr(getattr(model, 'backbone', None), 'model', None)
    if all(hasattr(vit, a) for a in ('blocks', 'patch_embed',
                                      'num_prefix_tokens')):
        return vit
    return None


def default_target_layers(model: nn.Module) -> List[str]:
    """The layer whose map the detector pools for its head: the backbone's
    last map, or ``_POOLED_MAPS``'s for the detectors that build their own;
    for a vision transformer, the tokens its CLS token attends to last
    (the last block's ``norm1``)."""
    name = type(model).__name__
    if name in _POOLED_MAPS:
        return [_POOLED_MAPS[name]]
    vit = _token_model(model)
    if vit is not None:
        return [f'backbone.model.blocks.{len(vit.blocks) - 1}.norm1']
    return ['backbone']


def find_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule called ``name`` (dotted, e.g. ``backbone.model.blocks``);
    the error lists the detector's top-level layers."""
    try:
        return model.get_submodule(name)
    except AttributeError:
        names = ', '.join(n for n, _ in model.named_children())
        raise ValueError(f'{type(model).__name__} has no layer {name!r}; its '
                         f'top-level layers: {names}') from None


def _layer_output(output, detector: str, layer: str,
                  tokens: Optional[Tuple[int, int, int]]) -> torch.Tensor:
    """The layer's output Grad-CAM reads (the last one when it returns a
    tuple, as backbones do): a ``[B, C, H, W]`` map, or with ``tokens``
    ``(prefix tokens, grid height, grid width)`` a ViT's ``[B, N, C]``
    tokens, N = prefix + height x width."""
    if isinstance(output, (tuple, list)) and output:
        output = output[-1]
    if isinstance(output, torch.Tensor) and (
            output.dim() == 4 or tokens is not None and output.dim() == 3
            and output.shape[1] == tokens[0] + tokens[1] * tokens[2]):
        return output
    shape = tuple(output.shape) if isinstance(output, torch.Tensor) \
        else type(output).__name__
    if tokens is not None:
        raise ValueError(
            f'Grad-CAM needs a feature map [B, C, H, W] or patch tokens '
            f'[B, {tokens[0]} + {tokens[1]}x{tokens[2]}, C]; layer '
            f'{layer!r} of {detector} gives {shape}. Pick a layer inside '
            'the transformer\'s blocks with --target-layers, e.g. '
            'backbone.model.blocks.N.norm1 (a pooled vector or the CLS '
            'token has no spatial layout to show)')
    raise ValueError(
        f'Grad-CAM needs a CNN feature map [B, C, H, W]; layer {layer!r} '
        f'of {detector} gives {shape}. Pick a convolutional layer with '
        '--target-layers (a transformer\'s tokens or a pooled vector '
        'have no spatial layout to show)')


def _as_map(tensor: torch.Tensor,
            tokens: Optional[Tuple[int, int, int]]) -> torch.Tensor:
    """A layer's output (or its gradient) as ``[B, C, H, W]``: patch tokens
    laid out on the patch grid, prefix tokens dropped."""
    if tensor.dim() == 4:
        return tensor
    prefix, height, width = tokens
    batch, _, channels = tensor.shape
    return tensor[:, prefix:].reshape(batch, height, width,
                                      channels).permute(0, 3, 1, 2)


class GradCAM:
    """Grad-CAM of one or more layers of a detector.

    Args:
        model: a qcdet detector (``model(inputs, mode='tensor')`` gives the
            [B, 2] real/fake logits).
        target_layers: layer names (:func:`find_layer`); default
            :func:`default_target_layers`. With several, their maps are
            averaged after resizing to the input.
    """

    def __init__(self, model: nn.Module, target_layers: Sequence[str] = ()):
        self.model = model
        self.detector = type(model).__name__
        self.target_layers = list(target_layers) or \
            default_target_layers(model)
        self.layers = [find_layer(model, n) for n in self.target_layers]
        self._vit = _token_model(model)

    def _token_layout(self, inputs: torch.Tensor):
        """``(prefix tokens, grid height, grid width)`` of a ViT detector's
        tokens for this input, else None."""
        if self._vit is None:
            return None
        patch = self._vit.patch_embed.patch_size
        patch = (patch, patch) if isinstance(patch, int) else tuple(patch)
        return (int(self._vit.num_prefix_tokens),
                inputs.shape[-2] // patch[0], inputs.shape[-1] // patch[1])

    def __call__(self, inputs: torch.Tensor, target: int) -> np.ndarray:
        """``[H, W]`` CAM in [0, 1] at the input's size, for class
        ``target`` (0 real, 1 fake) of the single preprocessed input
        ``[1, C, H, W]``. All zeros when nothing speaks for the class."""
        maps: List[torch.Tensor] = []
        tokens = self._token_layout(inputs)

        def keep(name):
            def hook(module, args, output):
                maps.append(_layer_output(output, self.detector, name,
                                          tokens))
            return hook

        handles = [layer.register_forward_hook(keep(name))
                   for name, layer in zip(self.target_layers, self.layers)]
        # an input that asks for gradients: inside a frozen backbone (a
        # linear probe's) no activation would otherwise need one
        inputs = inputs.detach().requires_grad_(True)
        try:
            with torch.enable_grad():
                logits = self.model(inputs, mode='tensor')
        finally:
            for handle in handles:
                handle.remove()
        # gradients of the maps only: the parameters' .grad stay untouched
        grads = [None] * len(maps)
        if maps and all(m.requires_grad for m in maps):
            grads = torch.autograd.grad(logits[:, target].sum(), maps,
                                        allow_unused=True)
        if not maps or any(g is None for g in grads):
            raise ValueError(f'{self.detector}: the real/fake logits do not '
                             f'depend on layers {self.target_layers} (or '
                             'need no gradient); pick layers on the path '
                             'to the head')
        cams = []
        for output, grad in zip(maps, grads):
            feature_map, grad = _as_map(output, tokens), _as_map(grad, tokens)
            weights = grad.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * feature_map).sum(dim=1, keepdim=True))
            cams.append(F.interpolate(cam.detach().float(),
                                      size=inputs.shape[-2:],
                                      mode='bilinear', align_corners=False))
        cam = torch.stack(cams).mean(dim=0)[0, 0].cpu().numpy()
        cam -= cam.min()
        peak = cam.max()
        return cam / peak if peak > 0 else cam


def _heat_map(cam: np.ndarray, width: int, height: int) -> np.ndarray:
    """The CAM resized smoothly (bicubic, clipped to [0, 1]: no
    nearest-neighbour blocks) as a JET heat map, uint8 BGR."""
    if cam.shape != (height, width):
        cam = np.clip(cv2.resize(cam.astype(np.float32), (width, height),
                                 interpolation=cv2.INTER_CUBIC), 0, 1)
    return cv2.applyColorMap(np.uint8(np.round(255 * cam)),
                             cv2.COLORMAP_JET)


def overlay_cam(image_bgr: np.ndarray, cam: np.ndarray,
                alpha: float = 0.5) -> np.ndarray:
    """The CAM (resized to the image) as a JET heat map blended over the
    BGR image; uint8 BGR."""
    height, width = image_bgr.shape[:2]
    heat = _heat_map(cam, width, height)
    return cv2.addWeighted(image_bgr, 1 - alpha, heat, alpha, 0)


def _text_strip(texts: Sequence[str], width: int) -> np.ndarray:
    """A dark strip with one white text per ``width``-wide column, the
    font shrunk until each text fits its column."""
    height = max(20, round(width * 0.11))
    strip = np.full((height, width * len(texts), 3), 32, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for column, text in enumerate(texts):
        scale = height / 40
        while cv2.getTextSize(text, font, scale, 1)[0][0] > width - 8 and \
                scale > 0.2:
            scale *= 0.9
        (_, text_height), _ = cv2.getTextSize(text, font, scale, 1)
        cv2.putText(strip, text, (column * width + 4,
                                  (height + text_height) // 2),
                    font, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return strip


def cam_panel(crop_bgr: np.ndarray, cam: np.ndarray, score: float,
              target: str = 'fake', size: int = 256) -> np.ndarray:
    """Face crop | CAM heat map | overlay, each ``size`` px square, under a
    strip naming the fake score and the class the CAM explains, so the
    picture reads on its own (a bare 64 px overlay does not). The crop is
    upscaled bicubically, the CAM smoothly. Used by
    ``tools/analysis/vis_cam.py``; uint8 BGR, ``size`` + strip tall and
    ``3 * size`` wide."""
    crop = cv2.resize(crop_bgr, (size, size), interpolation=cv2.INTER_CUBIC)
    heat = _heat_map(cam, size, size)
    row = np.concatenate(
        [crop, heat, cv2.addWeighted(crop, 0.5, heat, 0.5, 0)], axis=1)
    strip = _text_strip([f'fake score {score:.3f}',
                         f'Grad-CAM of "{target}"', 'overlay'], size)
    return np.concatenate([strip, row], axis=0)
