"""Helpers the command-line tools share.

Light on purpose (no torch, MMEngine or OpenCV at import): the tools build
their parsers from it, so ``--help`` and the checks of paths and
``--cfg-options`` answer at once, before the model loads.
"""
import argparse
import difflib
import os.path as osp
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

__all__ = ['height_width', 'VIS_BACKENDS', 'add_vis_backends_argument',
           'vis_backends_config', 'FACE_DETECTOR_CHOICES',
           'DEFAULT_FACE_DETECTOR',
           'add_cfg_options_argument', 'apply_cfg_options', 'check_config',
           'check_checkpoint', 'check_data_files', 'fail',
           'fail_unless_installed',
           'add_inference_arguments', 'inferencer_options']

# face detectors of qcdet.faces.FaceCropper (--detector of the tools)
FACE_DETECTOR_CHOICES = ('cascade', 'dlib', 'retinaface')
DEFAULT_FACE_DETECTOR = 'cascade'

REPO_CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def model_tool_parser(description: str,
                      config_help: str = 'config the model was trained with'
                      ) -> argparse.ArgumentParser:
    """The parser every tool that loads a trained detector starts from:
    its positional ``config`` and ``checkpoint``, in that order."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config', help=config_help)
    parser.add_argument('checkpoint', help='checkpoint file')
    return parser


def fail(message: str):
    """Stop a tool with one line on stderr and exit status 1."""
    raise SystemExit(f'ERROR: {message}')


def fail_unless_installed(module_names: Sequence[str], purpose: str):
    """Stop a tool before anything heavy loads when a package it needs is
    missing, naming what to install (``pip install "qcdet[serve]"``)."""
    from qcdet.utils.optional_imports import require_optional
    try:
        require_optional(module_names, purpose)
    except ImportError as error:
        fail(str(error))

# --vis-backends names -> MMEngine visualizer backends (and the pip package
# each one needs)
VIS_BACKENDS = {
    'local': ('LocalVisBackend', None),
    'tensorboard': ('TensorboardVisBackend', 'tensorboard'),
    'wandb': ('WandbVisBackend', 'wandb'),
}


def height_width(values: Sequence[int],
                 flag: str = '--shape') -> Tuple[int, int]:
    """``(height, width)`` from one value (a square) or two; exits with a
    clear message otherwise."""
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise SystemExit(f'{flag} takes 1 or 2 numbers, got {list(values)}')


def add_vis_backends_argument(parser) -> None:
    """``--vis-backends`` of tools/train.py and tools/test.py."""
    parser.add_argument(
        '--vis-backends', nargs='+', metavar='NAME',
        choices=sorted(VIS_BACKENDS),
        help='where metrics and images are logged: local (the default), '
        "tensorboard, wandb (replaces the config's visualizer backends)")


def vis_backends_config(names: Sequence[str]) -> list:
    """``visualizer.vis_backends`` for ``--vis-backends local tensorboard
    wandb``; exits naming the package to install when one is missing (the
    runner would fail only after building the datasets)."""
    backends = []
    for name in names:
        if name not in VIS_BACKENDS:
            raise SystemExit(f'--vis-backends: unknown backend {name!r}; '
                             f'choose from {sorted(VIS_BACKENDS)}')
        backend, package = VIS_BACKENDS[name]
        if package:
            fail_unless_installed([package], f'--vis-backends {name}')
        backends.append(dict(type=backend))
    return backends


# --------------------------------------------------------------- inference
# the flags that set up qcdet.apis.DeepfakeInferencer, shared by the tools
# that score media (tools/infer.py, tools/serve.py), so one file scores the
# same with the same flags in both
INFERENCER_FLAGS = ('device', 'detector', 'num_frames', 'aggregation',
                    'threshold', 'crop_size', 'margin')


def add_inference_arguments(parser) -> None:
    """The DeepfakeInferencer flags; :func:`inferencer_options` reads them."""
    parser.add_argument('--num-frames', type=int, default=32,
                        help='frames decoded per video, evenly spaced')
    parser.add_argument('--detector', default=DEFAULT_FACE_DETECTOR,
                        choices=FACE_DETECTOR_CHOICES,
                        help='face detector (default: %(default)s, RetinaFace '
                        'with a full-resolution retry where it finds nothing)')
    parser.add_argument('--aggregation', choices=['mean', 'max'],
                        default='mean', help='frame scores -> video score')
    parser.add_argument('--threshold', type=float, default=0.5,
                        help='score above which an input is labelled fake')
    parser.add_argument('--crop-size', type=int, default=None,
                        help='aligned face crop size (default: the test '
                        'pipeline\'s Resize, else 256)')
    parser.add_argument('--margin', type=float, default=1.3,
                        help='crop zoom-out around the face, as in '
                        'preprocessing')
    parser.add_argument('--device', default=None,
                        help='cpu, cuda, cuda:1, ... (default: cuda if '
                        'available)')


def inferencer_options(args) -> dict:
    """DeepfakeInferencer keyword arguments from the parsed flags."""
    return {name: getattr(args, name) for name in INFERENCER_FLAGS}


# ------------------------------------------------------------ --cfg-options
def add_cfg_options_argument(parser) -> None:
    """``--cfg-options KEY=VALUE ...``, checked later by
    :func:`apply_cfg_options` against the merged config."""
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE', default=None,
        help='override config settings, e.g. train_cfg.max_epochs=2 '
        '(values parsed as MMEngine\'s DictAction does). A key must exist '
        'in the config; write +KEY=VALUE to add a new key on purpose')


def _split_option(option: str) -> Tuple[str, str, bool]:
    if '=' not in option:
        fail(f'--cfg-options takes KEY=VALUE pairs; {option!r} has no "=" '
             '(e.g. train_cfg.max_epochs=2)')
    key, value = option.split('=', 1)
    new = key.startswith('+')
    key = key[1:] if new else key
    if not key or any(not part for part in key.split('.')):
        fail(f'--cfg-options {option!r}: empty key or key part')
    return key, value, new


def _missing_key(cfg, key: str) -> Optional[str]:
    """Why ``key`` (dotted, list indices as numbers) names nothing in
    ``cfg``, with the closest existing key; None when it exists."""
    node, done = cfg, []
    parts = key.split('.')
    for depth, part in enumerate(parts):
        where = '.'.join(done) or 'the config'
        if isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                return f'{where} is a list of {len(node)}; {part!r} is not ' \
                    'an index in it'
            node = node[int(part)]
        elif hasattr(node, 'keys'):
            if part == 'type' and depth == len(parts) - 1:
                return None  # every built dict may name its type
            if part not in node:
                close = difflib.get_close_matches(part, list(node.keys()),
                                                  n=1, cutoff=0.6)
                hint = f'; did you mean {".".join(done + close)}?' \
                    if close else ''
                return f'{where} has no key {part!r}{hint}'
            node = node[part]
        else:
            return f'{where} is {node!r}, not a dict or a list'
        done.append(part)
    return None


def apply_cfg_options(cfg, options: Optional[Sequence[str]]) -> None:
    """Merge ``--cfg-options`` into ``cfg`` after checking every key
    against it: a key that matches nothing (a typo such as
    ``train_cfg.max_epcohs``) stops the tool with the closest existing key,
    instead of being added silently. ``+KEY=VALUE`` adds a new key."""
    if not options:
        return
    import argparse

    from mmengine.config import DictAction
    pairs = []
    for option in options:
        key, value, new = _split_option(option)
        if not new:
            why = _missing_key(cfg, key)
            if why is not None:
                fail(f'--cfg-options {option}: {why} (to add a new key on '
                     f'purpose, write +{option})')
        pairs.append(f'{key}={value}')
    namespace = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='cfg_options')(
        None, namespace, pairs)
    cfg.merge_from_dict(namespace.cfg_options)


# ------------------------------------------------------------------- paths
def check_config(path: str) -> None:
    """A missing config stops the tool at once, naming the closest
    config of the repository."""
    if osp.isfile(path):
        return
    known = [str(p.relative_to(REPO_CONFIGS.parent))
             for p in REPO_CONFIGS.rglob('*.py')] \
        if REPO_CONFIGS.is_dir() else []
    close = difflib.get_close_matches(path, known, n=1, cutoff=0.5) or \
        difflib.get_close_matches(osp.basename(path),
                                  [osp.basename(k) for k in known], n=1)
    hint = ''
    if close:
        match = next(k for k in known
                     if k == close[0] or osp.basename(k) == close[0])
        hint = f'; did you mean {match}?'
    fail(f'config file not found: {path}{hint}')


def check_checkpoint(path: str) -> None:
    """A missing checkpoint stops the tool before the model is built."""
    if '://' in path or osp.isfile(path):
        return
    fail(f'checkpoint not found: {path} (tools/train.py CONFIG writes '
         'checkpoints to work_dirs/<config name>/, e.g. epoch_12.pth)')


def _making_command(ann_file: str, data_root: str) -> str:
    """The command that makes a missing annotation file."""
    if osp.basename(ann_file).endswith('_static.json'):
        return ('python tools/quality/score_static.py writes it from the '
                'preprocessed annotation (docs/quality_static.md)')
    if 'demo' in data_root:
        return ('python tools/data/make_demo_data.py --out '
                f'{data_root or "data/demo"} makes the demo data')
    return ('python tools/data/preprocess.py --dataset NAME --root '
            f'RAW_VIDEOS --out {data_root or "DATA_ROOT"} makes it from the '
            'raw videos (docs/data.md)')


def check_data_files(cfg, loaders: Sequence[str]) -> List[str]:
    """Stop before anything heavy loads when the annotation file of one of
    ``loaders`` (e.g. ``train_dataloader``) is missing, naming the command
    that makes it; returns the files checked."""
    checked = []
    for name in loaders:
        loader = cfg.get(name)
        if not loader or 'dataset' not in loader:
            continue
        dataset = loader['dataset']
        ann_file = dataset.get('ann_file') or ''
        data_root = str(dataset.get('data_root') or '')
        if not ann_file or '://' in ann_file or '://' in data_root:
            continue
        path = ann_file if osp.isabs(ann_file) or not data_root else \
            osp.join(data_root, ann_file)
        if not osp.isfile(path):
            where = f' (data root {data_root} does not exist)' \
                if data_root and not osp.isdir(data_root) else ''
            fail(f'{name}: annotation file not found: {path}{where}; '
                 f'{_making_command(ann_file, data_root)}. Another location: '
                 f'--cfg-options {name}.dataset.data_root=DIR')
        checked.append(path)
    return checked
