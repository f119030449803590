"""A FreDA example grid: fake, paired real, mixed, and their log-magnitude
spectra, to see what the augmentation takes from the real."""
from typing import List, Sequence

import cv2
import numpy as np
import torch
from matplotlib.patches import Ellipse, Rectangle

from qcdet.datasets.transforms.loading import read_image
from qcdet.utils.freda import freda_image, freda_mask, mask_columns

from .figure import new_figure

__all__ = [
    'pick_paired_fakes', 'freda_uint8', 'freda_example',
    'plot_freda_examples'
]

COLUMNS = ('fake', 'real', 'mixed')


def pick_paired_fakes(records: Sequence[dict], num: int) -> List[dict]:
    """Up to ``num`` fakes with a pair, taken round-robin over methods (in
    file order within a method) so every method shows."""
    by_method = {}
    for record in records:
        if record.get('label') == 1 and record.get('pair_path'):
            by_method.setdefault(record.get('method', '?'), []).append(record)
    picked, position = [], 0
    while len(picked) < num and any(
            position < len(v) for v in by_method.values()):
        for method in sorted(by_method):
            if position < len(by_method[method]) and len(picked) < num:
                picked.append(by_method[method][position])
        position += 1
    return picked


def log_spectrum(image_bgr: np.ndarray) -> np.ndarray:
    """Centred ``log(1 + |FFT|)`` of the grey image."""
    grey = cv2.cvtColor(np.clip(image_bgr, 0, 255).astype(np.uint8),
                        cv2.COLOR_BGR2GRAY).astype(np.float64)
    return np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(grey))))


def freda_uint8(fake: np.ndarray, real: np.ndarray, radius: float,
                shape: str = 'circle', edge: str = 'hard',
                edge_width: float = 0.0):
    """The FreDA mask and mix of two same-size images, the mix as
    ``FreqAugment`` makes it (``radius`` and ``edge_width`` as Nyquist
    ratios). Returns ``(mask, mixed)``."""
    mask = freda_mask(fake.shape[0], fake.shape[1], radius, shape, edge,
                      edge_width)
    cols = torch.from_numpy(mask_columns(mask).astype(np.float32))
    return mask, freda_image(fake, real, cols)


def freda_example(record: dict, radius: float = 0.1,
                  shape: str = 'circle') -> dict:
    """Fake, real (resized to the fake's size if needed) and their FreDA mix
    (uint8, rounded and clipped as ``FreqAugment`` does), with spectra."""
    fake = read_image(record['img_path'])
    real = read_image(record['pair_path'])
    if real.shape != fake.shape:
        real = cv2.resize(real, (fake.shape[1], fake.shape[0]),
                          interpolation=cv2.INTER_LINEAR)
    mask, mixed = freda_uint8(fake, real, radius, shape)
    example = dict(record=record, mask=mask, fake=fake, real=real,
                   mixed=mixed)
    for name in COLUMNS:
        example[f'{name}_spectrum'] = log_spectrum(example[name])
    return example


def _mask_outline(size, radius: float, shape: str):
    """The mask's border on a centred spectrum (normalised radius r spans
    r * size / 2 bins from the centre)."""
    height, width = size
    centre = (width // 2, height // 2)
    style = dict(fill=False, edgecolor='cyan', linewidth=1, linestyle='--')
    if shape == 'circle':
        return Ellipse(centre, radius * width, radius * height, **style)
    return Rectangle((centre[0] - radius * width / 2,
                      centre[1] - radius * height / 2), radius * width,
                     radius * height, **style)


def plot_freda_examples(records: Sequence[dict], radius: float = 0.1,
                        shape: str = 'circle'):
    """One row per fake: fake, real, mixed, then their spectra (shared
    colour scale per row). Returns ``(figure, examples)``."""
    if not records:
        raise ValueError('no paired fakes to show (records need label 1 and '
                         'a pair_path)')
    examples = [freda_example(r, radius, shape) for r in records]
    cols = 2 * len(COLUMNS)
    fig = new_figure(2.2 * cols, 2.4 * len(examples) + 0.6)
    axes = np.array(fig.subplots(len(examples), cols)).reshape(
        len(examples), cols)
    for row, example in zip(axes, examples):
        spectra = [example[f'{n}_spectrum'] for n in COLUMNS]
        vmin = min(s.min() for s in spectra)
        vmax = max(s.max() for s in spectra)
        for ax, name in zip(row[:len(COLUMNS)], COLUMNS):
            ax.imshow(cv2.cvtColor(example[name], cv2.COLOR_BGR2RGB))
            ax.set_title(name, fontsize='small')
        for ax, name, spectrum in zip(row[len(COLUMNS):], COLUMNS, spectra):
            ax.imshow(spectrum, cmap='magma', vmin=vmin, vmax=vmax)
            ax.set_title(f'log|FFT| {name}', fontsize='small')
            ax.add_patch(_mask_outline(spectrum.shape, radius, shape))
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
        record = example['record']
        row[0].set_ylabel(f'{record.get("method", "?")}\n'
                          f'{record.get("video_id", "")}',
                          fontsize='x-small')
    fig.suptitle(f'FreDA (mask {shape}, radius {radius} of Nyquist, dashed '
                 'on the spectra): real low frequencies + fake high '
                 'frequencies')
    return fig, examples
