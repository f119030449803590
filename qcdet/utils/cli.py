"""Helpers the command-line tools share."""
from typing import Sequence, Tuple

__all__ = ['height_width', 'VIS_BACKENDS', 'add_vis_backends_argument',
           'vis_backends_config']

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
    import importlib.util
    backends = []
    for name in names:
        if name not in VIS_BACKENDS:
            raise SystemExit(f'--vis-backends: unknown backend {name!r}; '
                             f'choose from {sorted(VIS_BACKENDS)}')
        backend, package = VIS_BACKENDS[name]
        if package and importlib.util.find_spec(package) is None:
            raise SystemExit(f'--vis-backends {name} needs the {package} '
                             f'package: pip install {package}')
        backends.append(dict(type=backend))
    return backends
