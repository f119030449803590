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
