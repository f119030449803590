"""FreDA cost per 256x256x3 uint8 image against an FFT lower bound, and the
data pipeline's images/s with and without FreDA.

Prints ``name: value`` lines:
  freda_ms_per_image   FreqAugment on one fake as the QC configs run it: from
                       the pair's stored band (band cache,
                       qcdet.datasets.pair_bands), no pair decode
  freda_over_fft       freda_ms_per_image / fft_ms_per_image (target <= 2)
  band_read_ms_per_image  reading the pair's band from the cache alone
  pair_freda_ms_per_image  FreqAugment without a band cache: the pair read
                       from disk and decoded, then mixed (the fallback)
  pair_freda_over_fft  pair_freda_ms_per_image / fft_ms_per_image
  mix_ms_per_image     the pair mix without the pair read (mixing only)
  decode_ms_per_image  reading the pair alone (read_image of the PNG)
  fft_ms_per_image     rfft2 + irfft2 of one float image converted from uint8:
                       one plain FFT round trip
  mix_over_fft         mix_ms_per_image / fft_ms_per_image
  pipeline_img_per_s_plain  demo train pipeline on 256 px frames, nothing
                            marked easy (FreqAugment passes through)
  pipeline_img_per_s_freda  the same with every fake marked easy (FreDA from
                            the band cache)
  pipeline_img_per_s_pairs  the same reading the pairs (no band cache)
  pipeline_freda_over_plain, pipeline_pairs_over_plain  ratios (one process)
With ``--reference FILE`` (an older freq_augment.py) also
  reference_{freda,mix}_ms_per_image, reference_{freda,mix}_over_fft and
  {freda,mix}_speedup_over_reference, timed in the same rounds (the
  reference's FreDA reads the pair: compare it with pair_freda and freda).

Everything runs on one CPU thread in this process, as one DataLoader worker
does. The timed cases alternate in ``--rounds`` rounds and each figure is the
median over rounds, so a shared, noisy machine affects them alike. The fake
and its pair are 256 px demo faces saved as PNG (smooth images compress well
and take longer to decode than noise; ``--pair noise`` times a noise PNG).

    python -m benchmarks.freda_speed [--repeats 50] [--rounds 7]
        [--identities 5] [--pair face|noise] [--reference FILE]
        [--no-pipeline]
"""
import argparse
import tempfile
import types
from pathlib import Path

import cv2
import numpy as np
import torch

from benchmarks.timing import interleaved, one_thread
from qcdet.datasets.pair_bands import (
    attach_pair_bands,
    build_pair_bands,
)
from qcdet.datasets.transforms.freq_augment import FreqAugment
from qcdet.datasets.transforms.loading import read_image
from qcdet.registry import TRANSFORMS

SIZE = 256
REPO = Path(__file__).resolve().parents[1]


def load_reference(path):
    """Another version of freq_augment.py as a module, for before/after
    timings in the same run. Its file runs unchanged; only its registration
    is skipped, since the name ``FreqAugment`` is taken."""
    module = types.ModuleType('qcdet.datasets.transforms._reference')
    module.__package__ = 'qcdet.datasets.transforms'
    register = TRANSFORMS.register_module
    TRANSFORMS.register_module = lambda *args, **kwargs: (lambda cls: cls)
    try:
        exec(compile(Path(path).read_text(), str(path), 'exec'),
             module.__dict__)
    finally:
        TRANSFORMS.register_module = register
    return module


def freda_cases(dataset, tmp, pair, reference=None):
    """A 256 px demo fake and its real (``pair='face'``), or random noise
    written as PNG (``'noise'``: compresses worse, decodes faster)."""
    index = int(np.flatnonzero(dataset.get_labels() == 1)[0])
    info = dataset.get_data_info(index)
    fake = read_image(info['img_path'])
    pair_path = info['pair_path']
    if pair == 'noise':
        rng = np.random.default_rng(0)
        fake = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
        pair_path = str(Path(tmp) / 'noise.png')
        cv2.imwrite(pair_path, rng.integers(0, 256, fake.shape, np.uint8))
    real = read_image(pair_path)
    assert fake.shape == real.shape == (SIZE, SIZE, 3)
    cache = build_pair_bands({'pair.png': pair_path},
                             str(Path(tmp) / 'one_pair'))
    entry = cache.frames['pair.png'][:6]

    def augment(transform_type, mix_only=False, bands=False):
        transform = transform_type(radius_ratio=0.1)
        if mix_only:
            transform._load_pair = lambda path, shape: real
        if bands:
            transform.use_pair_bands(cache, {pair_path: entry})
        return lambda: transform.transform(
            dict(img=fake, label=1, qc_easy=True, pair_path=pair_path))

    def fft_only():
        image = torch.from_numpy(fake).permute(2, 0, 1).float()
        torch.fft.irfft2(torch.fft.rfft2(image), s=(SIZE, SIZE))

    cases = dict(freda=augment(FreqAugment, bands=True),
                 band_read=lambda: np.array(cache.block(entry)),
                 pair_freda=augment(FreqAugment),
                 mix=augment(FreqAugment, mix_only=True),
                 decode=lambda: read_image(pair_path), fft=fft_only)
    if reference is not None:
        cases['ref_freda'] = augment(reference.FreqAugment)
        cases['ref_mix'] = augment(reference.FreqAugment, mix_only=True)
    return cases


def demo_dataset(tmp, identities, generate=True):
    """The demo train split at 256 px with the demo config's train pipeline
    (LoadFrame, FreqAugment, Resize to 64, RandomFlip, pack); ``generate``:
    write the data first."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from qcdet.offline.synthetic_data import generate_demo_dataset
    from qcdet.registry import DATASETS
    init_default_scope('qcdet')
    root = Path(tmp) / 'demo'
    if generate:
        generate_demo_dataset(str(root), num_identities=identities,
                              size=SIZE)
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/demo.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = str(root)
    return DATASETS.build(dataset_cfg)


def pipeline_cases(dataset, banded):
    """``dataset`` reads pairs; ``banded`` is the same with a band cache."""
    labels = dataset.get_labels()

    def run(ds, freda):
        def epoch():
            for index, label in enumerate(labels):
                ds[(index, freda and label == 1)]
        return epoch

    return dict(plain=run(dataset, False), freda=run(banded, True),
                pairs=run(dataset, True)), len(labels)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--repeats', type=int, default=50,
                        help='calls per case per round')
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--identities', type=int, default=5,
                        help='demo identities for the pipeline figures '
                        '(40 frames each; 3 go to val/test)')
    parser.add_argument('--pair', choices=['face', 'noise'], default='face',
                        help='pair image of the FreDA figures: a demo face '
                        'PNG, or random noise')
    parser.add_argument('--reference', metavar='FILE',
                        help='another freq_augment.py timed in the same '
                        'rounds (before/after), e.g. from git show '
                        'REV:qcdet/datasets/transforms/freq_augment.py')
    parser.add_argument('--no-pipeline', action='store_true')
    args = parser.parse_args(argv)
    one_thread()

    with tempfile.TemporaryDirectory() as tmp:
        dataset = demo_dataset(tmp, args.identities)
        reference = load_reference(args.reference) if args.reference else None
        ms = {name: s * 1000 for name, s in interleaved(
            freda_cases(dataset, tmp, args.pair, reference), args.repeats,
            args.rounds).items()}
        print(f'freda_ms_per_image: {ms["freda"]:.3f}')
        print(f'freda_over_fft: {ms["freda"] / ms["fft"]:.2f}')
        print(f'band_read_ms_per_image: {ms["band_read"]:.4f}')
        print(f'pair_freda_ms_per_image: {ms["pair_freda"]:.3f}')
        print(f'pair_freda_over_fft: {ms["pair_freda"] / ms["fft"]:.2f}')
        print(f'mix_ms_per_image: {ms["mix"]:.3f}')
        print(f'decode_ms_per_image: {ms["decode"]:.3f}')
        print(f'fft_ms_per_image: {ms["fft"]:.3f}')
        print(f'mix_over_fft: {ms["mix"] / ms["fft"]:.2f}')
        if reference is not None:
            for name in ('freda', 'mix'):
                ref = ms[f'ref_{name}']  # the reference's FreDA reads pairs
                print(f'reference_{name}_ms_per_image: {ref:.3f}')
                print(f'reference_{name}_over_fft: {ref / ms["fft"]:.2f}')
                print(f'{name}_speedup_over_reference: '
                      f'{ref / ms[name]:.2f}')
        if args.no_pipeline:
            return
        banded = demo_dataset(tmp, args.identities, generate=False)
        attach_pair_bands(banded, 'auto')
        cases, count = pipeline_cases(dataset, banded)
        seconds = interleaved(cases, 1, args.rounds)
        plain, freda, pairs = (count / seconds[name]
                               for name in ('plain', 'freda', 'pairs'))
        print(f'pipeline_images: {count}')
        print(f'pipeline_img_per_s_plain: {plain:.1f}')
        print(f'pipeline_img_per_s_freda: {freda:.1f}')
        print(f'pipeline_img_per_s_pairs: {pairs:.1f}')
        print(f'pipeline_freda_over_plain: {freda / plain:.3f}')
        print(f'pipeline_pairs_over_plain: {pairs / plain:.3f}')


if __name__ == '__main__':
    main()
