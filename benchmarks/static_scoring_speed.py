"""Static quality scoring speed per worker (one process, one thread) for
each backend of ``tools/quality/score_static.py``.

Prints ``name: value`` lines (a pair = one fake and its real = two faces):
  ssim_faces_per_s        SSIMSimilarityEvaluator on 256 px demo pairs
  dlib_faces_per_s        IdentitySimilarityEvaluator(backend='dlib'): HOG
                          detection, 5 landmarks, dlib's 128-d embedding
  dlib_embed_faces_per_s  the dlib embedding alone (landmarks given)
  onnx_faces_per_s        IdentitySimilarityEvaluator(backend='onnx'): HOG
                          detection, 68 landmarks -> ArcFace 5, alignment to
                          112 px, an ArcFace-shaped ONNX network
  onnx_embed_faces_per_s  alignment + the ONNX network alone
  {dlib,onnx}_scored_pairs  pairs that got a score (faces found)

No ArcFace weights exist offline, so the ONNX backend runs a randomly
initialised iResNet-50 (ArcFace's usual recogniser: 112x112 RGB -> 512-d),
exported to a temporary file with torch.onnx.export. Weights do not change
the amount of computation, so the speed is that of a trained ArcFace R50
(the scores are meaningless). dlib and ONNX time real face crops (224 px
DFDC crops from ../shared/data, or ``--faces DIR``); without them those
lines are skipped. Every figure is the median of ``--rounds`` rounds in
which the backends alternate.

    python -m benchmarks.static_scoring_speed [--pairs 8] [--rounds 3]
        [--faces DIR] [--backends ssim dlib onnx]
"""
import argparse
import json
import tempfile
import warnings
from pathlib import Path

import torch
import torch.nn as nn

from benchmarks.timing import interleaved, one_thread
from qcdet.offline.quality_evaluators import read_bgr_image
from qcdet.offline.synthetic_data import generate_demo_dataset
from qcdet.registry import QUALITY_EVALUATORS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FACES = REPO / '..' / 'shared' / 'data' / 'cvit-dfdc-faces' / 'test'


class IBasicBlock(nn.Module):
    """insightface's iResNet block: BN-conv-BN-PReLU-conv-BN + shortcut."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(inplanes),
            nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False),
            nn.BatchNorm2d(planes), nn.PReLU(planes),
            nn.Conv2d(planes, planes, 3, stride, 1, bias=False),
            nn.BatchNorm2d(planes))
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.body(x) + shortcut


class IResNet50(nn.Module):
    """The iResNet-50 of ArcFace (insightface ``iresnet50``): 112x112 RGB ->
    512-d, layers (3, 4, 14, 3), ~6.3 GFLOPs."""

    def __init__(self, embedding_size=512):
        super().__init__()
        layers, widths = (3, 4, 14, 3), (64, 128, 256, 512)
        blocks = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64),
                  nn.PReLU(64)]
        inplanes = 64
        for count, planes in zip(layers, widths):
            for i in range(count):
                blocks.append(
                    IBasicBlock(inplanes, planes, 2 if i == 0 else 1))
                inplanes = planes
        self.features = nn.Sequential(*blocks, nn.BatchNorm2d(512))
        self.fc = nn.Linear(512 * 7 * 7, embedding_size)
        self.out_bn = nn.BatchNorm1d(embedding_size)

    def forward(self, x):
        return self.out_bn(self.fc(self.features(x).flatten(1)))


def export_arcface_like(path):
    torch.manual_seed(0)
    model = IResNet50().eval()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(model, (torch.zeros(1, 3, 112, 112), ), str(path),
                          input_names=['input'], output_names=['embedding'],
                          opset_version=17, dynamo=False)


def demo_pairs(root, count):
    """``count`` (fake, real) BGR pairs of 256 px demo faces."""
    generate_demo_dataset(str(root), num_identities=3, size=256)
    with open(root / 'annotations' / 'train.json') as f:
        records = [r for r in json.load(f)['data_list'] if r['label'] == 1]
    return [(read_bgr_image(str(root / r['img_path'])),
             read_bgr_image(str(root / r['pair_path'])))
            for r in records[:count]]


def face_pairs(folder, count):
    """(fake, real) pairs of face crops: the i-th fake with the i-th real
    (identity does not matter for speed)."""
    fakes = sorted((folder / 'fake').glob('*.jpg'))[:count]
    reals = sorted((folder / 'real').glob('*.jpg'))[:count]
    n = min(len(fakes), len(reals))
    return [(read_bgr_image(str(f)), read_bgr_image(str(r)))
            for f, r in zip(fakes[:n], reals[:n])]


def score_case(evaluator, pairs):
    def run():
        found = 0
        for fake, real in pairs:
            found += evaluator.score(fake, real) is not None
        return found
    return run


def embed_case(evaluator, pairs):
    """Embedding (with alignment) alone, on landmarks located beforehand."""
    located = []
    for fake, real in pairs:
        for image in (fake, real):
            landmarks = evaluator.locate(image)
            if landmarks is not None:
                located.append((image, landmarks))

    def run():
        for image, landmarks in located:
            evaluator.embed(image, landmarks)
    return run, len(located)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--pairs', type=int, default=8)
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--faces', type=Path, default=DEFAULT_FACES,
                   help='folder with fake/*.jpg and real/*.jpg face crops')
    p.add_argument('--backends', nargs='+', default=['ssim', 'dlib', 'onnx'],
                   choices=['ssim', 'dlib', 'onnx'])
    args = p.parse_args(argv)
    one_thread()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        faces = face_pairs(args.faces, args.pairs) \
            if args.faces.is_dir() else []
        # name -> (callable, faces per call)
        cases, scored = {}, {}
        if 'ssim' in args.backends:
            pairs = demo_pairs(tmp / 'demo', args.pairs)
            evaluator = QUALITY_EVALUATORS.build(
                dict(type='SSIMSimilarityEvaluator'))
            cases['ssim'] = (score_case(evaluator, pairs), 2 * len(pairs))
        for backend in ('dlib', 'onnx'):
            if backend not in args.backends:
                continue
            if not faces:
                print(f'# {backend}: skipped, no face crops in {args.faces}')
                continue
            cfg = dict(type='IdentitySimilarityEvaluator', backend=backend)
            if backend == 'onnx':
                model_path = tmp / 'iresnet50_random.onnx'
                export_arcface_like(model_path)
                cfg['model_path'] = str(model_path)
            try:
                evaluator = QUALITY_EVALUATORS.build(cfg)
            except ImportError as err:
                print(f'# {backend}: skipped, {err}')
                continue
            if backend == 'onnx':  # one intra-op thread, as one worker
                evaluator.embedder = type(evaluator.embedder)(
                    cfg['model_path'], num_threads=1)
            cases[backend] = (score_case(evaluator, faces), 2 * len(faces))
            scored[backend] = cases[backend][0]()
            embed, count = embed_case(evaluator, faces)
            cases[f'{backend}_embed'] = (embed, count)

        seconds = interleaved({name: run for name, (run, _) in cases.items()},
                              1, args.rounds)

    for name, (_, count) in cases.items():
        print(f'{name}_faces_per_s: {count / seconds[name]:.1f}')
    for backend, count in scored.items():
        print(f'{backend}_scored_pairs: {count}')


if __name__ == '__main__':
    main()
