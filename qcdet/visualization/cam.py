"""Grad-CAM (Selvaraju et al., ICCV 2017) for qcdet's detectors: where on
the face crop the evidence for "fake" (or "real") lies.

A small implementation with torch hooks rather than the ``grad-cam``
package (pytorch-grad-cam, what mmpretrain's vis_cam uses): its hooks only
record gradients of layers that return one tensor, while qcdet's backbones
return a tuple of maps (``DeepfakeDetector`` pools the last), and the
package pulls in ``opencv-python-headless`` beside the ``opencv-python``
installed here. Grad-CAM itself is a few lines: the target layer's map,
each channel weighted by its gradient's spatial mean, summed, ReLU.
"""
from typing import Dict, List, Sequence

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    'CAM_TARGETS', 'default_target_layers', 'find_layer', 'GradCAM',
    'overlay_cam'
]

CAM_TARGETS = {'real': 0, 'fake': 1}
# the map each detector pools for its real/fake head, where it is not the
# backbone's last one: SRM fuses its two streams, UCF projects the common
# forgery features
_POOLED_MAPS: Dict[str, str] = {
    'SRMDetector': 'fusion',
    'UCFDetector': 'common_proj',
}


def default_target_layers(model: nn.Module) -> List[str]:
    """The layer whose map the detector pools for its head: the backbone's
    last map, or ``_POOLED_MAPS``'s for the detectors that build their own."""
    return [_POOLED_MAPS.get(type(model).__name__, 'backbone')]


def find_layer(model: nn.Module, name: str) -> nn.Module:
    """The submodule called ``name`` (dotted, e.g. ``backbone.model.blocks``);
    the error lists the detector's top-level layers."""
    try:
        return model.get_submodule(name)
    except AttributeError:
        names = ', '.join(n for n, _ in model.named_children())
        raise ValueError(f'{type(model).__name__} has no layer {name!r}; its '
                         f'top-level layers: {names}') from None


def _feature_map(output, detector: str, layer: str) -> torch.Tensor:
    """The layer's ``[B, C, H, W]`` map (the last one when it returns a
    tuple, as backbones do)."""
    if isinstance(output, (tuple, list)) and output:
        output = output[-1]
    if not isinstance(output, torch.Tensor) or output.dim() != 4:
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) \
            else type(output).__name__
        raise ValueError(
            f'Grad-CAM needs a CNN feature map [B, C, H, W]; layer {layer!r} '
            f'of {detector} gives {shape}. Pick a convolutional layer with '
            '--target-layers (a transformer\'s tokens or a pooled vector '
            'have no spatial layout to show)')
    return output


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

    def __call__(self, inputs: torch.Tensor, target: int) -> np.ndarray:
        """``[H, W]`` CAM in [0, 1] at the input's size, for class
        ``target`` (0 real, 1 fake) of the single preprocessed input
        ``[1, C, H, W]``. All zeros when nothing speaks for the class."""
        maps: List[torch.Tensor] = []

        def keep(name):
            def hook(module, args, output):
                maps.append(_feature_map(output, self.detector, name))
            return hook

        handles = [layer.register_forward_hook(keep(name))
                   for name, layer in zip(self.target_layers, self.layers)]
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
        for feature_map, grad in zip(maps, grads):
            weights = grad.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * feature_map).sum(dim=1, keepdim=True))
            cams.append(F.interpolate(cam.detach().float(),
                                      size=inputs.shape[-2:],
                                      mode='bilinear', align_corners=False))
        cam = torch.stack(cams).mean(dim=0)[0, 0].cpu().numpy()
        cam -= cam.min()
        peak = cam.max()
        return cam / peak if peak > 0 else cam


def overlay_cam(image_bgr: np.ndarray, cam: np.ndarray,
                alpha: float = 0.5) -> np.ndarray:
    """The CAM (resized to the image) as a JET heat map blended over the
    BGR image; uint8 BGR."""
    height, width = image_bgr.shape[:2]
    if cam.shape != (height, width):
        cam = cv2.resize(cam, (width, height),
                         interpolation=cv2.INTER_LINEAR)
    heat = cv2.applyColorMap(np.uint8(np.round(255 * cam)),
                             cv2.COLORMAP_JET)
    return cv2.addWeighted(image_bgr, 1 - alpha, heat, alpha, 0)
