"""Seeds derived from (seed, position) instead of from RNG history.

A resumed run, a run with another number of DataLoader workers and an
uninterrupted run have different RNG histories (workers restart from their
worker seed, a fresh DataLoader iterator draws a base seed, validation may
draw numbers). Reseeding from keys that only depend on *where* training is
(the global iteration, the sample) makes them draw the same numbers.
"""
import random
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ['derive_seed', 'seed_everything', 'seeded_rng']


def derive_seed(*keys: int) -> int:
    """A seed in [0, 2**32) from integer keys. Hashed with numpy's
    SeedSequence, so neighbouring keys give unrelated streams."""
    state = np.random.SeedSequence([int(k) for k in keys]).generate_state(1)
    return int(state[0])


def seed_everything(seed: int) -> None:
    """Seeds python's ``random``, numpy's global RNG and torch (CPU, and every
    CUDA device where CUDA is available).

    Not ``torch.manual_seed``: it also seeds every other accelerator backend
    (MTIA, XPU, ...) and costs ~0.2 ms, which adds up when called every step.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


@contextmanager
def seeded_rng(seed: int, restore: bool = True):
    """Runs the body with python/numpy/torch-CPU global RNGs seeded with
    ``seed``. With ``restore`` their previous states come back afterwards,
    so the caller's random stream is left as it was (e.g. a pipeline run in
    the main process with ``num_workers=0``); saving numpy's state costs
    ~0.1 ms, so DataLoader workers, whose stream nothing else reads, skip
    it."""
    states = (random.getstate(), np.random.get_state(),
              torch.get_rng_state()) if restore else None
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        if states is not None:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])
