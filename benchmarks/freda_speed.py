"""FreDA cost per 256x256x3 uint8 image, against an FFT lower bound.

Prints ``name: value`` lines:
  freda_ms_per_image  FreqAugment on one fake, pair read from disk included
  mix_ms_per_image    the same without the pair read (mixing only)
  fft_ms_per_image    rfft2 + irfft2 of one image: the least any FFT mix costs
  freda_over_fft      freda_ms_per_image / fft_ms_per_image
  mix_over_fft        mix_ms_per_image / fft_ms_per_image

Runs on one CPU thread, as a DataLoader worker does.

    python benchmarks/freda_speed.py [--repeats 200]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

try:
    import qcdet  # noqa: F401
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qcdet.datasets.transforms.freq_augment import FreqAugment  # noqa: E402

SIZE = 256


def ms_per_call(fn, repeats):
    fn()  # warm up (mask cache, FFT plans)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)

    rng = np.random.default_rng(0)
    fake = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    real = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    freda = FreqAugment(radius_ratio=0.1)

    with tempfile.TemporaryDirectory() as tmp:
        pair_path = str(Path(tmp) / 'real.png')
        cv2.imwrite(pair_path, real)

        def augment():
            freda.transform(
                dict(img=fake, label=1, qc_easy=True, pair_path=pair_path))

        freda_ms = ms_per_call(augment, args.repeats)

    freda._load_pair = lambda path, shape: real  # mixing only
    mix_ms = ms_per_call(augment, args.repeats)

    def fft_only():
        image = torch.from_numpy(fake).permute(2, 0, 1).float()
        torch.fft.irfft2(torch.fft.rfft2(image), s=(SIZE, SIZE))

    fft_ms = ms_per_call(fft_only, args.repeats)

    print(f'freda_ms_per_image: {freda_ms:.3f}')
    print(f'mix_ms_per_image: {mix_ms:.3f}')
    print(f'fft_ms_per_image: {fft_ms:.3f}')
    print(f'freda_over_fft: {freda_ms / fft_ms:.2f}')
    print(f'mix_over_fft: {mix_ms / fft_ms:.2f}')


if __name__ == '__main__':
    main()
