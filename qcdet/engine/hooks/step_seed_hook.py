"""Reseeds every training step from (seed, iteration)."""
from mmengine.hooks import Hook

from qcdet.registry import HOOKS
from qcdet.utils.seeding import derive_seed, seed_everything

__all__ = ['StepSeedHook']


@HOOKS.register_module()
class StepSeedHook(Hook):
    """Seeds python ``random``, numpy and torch before each training step
    with ``derive_seed(runner.seed, runner.iter)``.

    Why: a run resumed from a checkpoint has another RNG history than an
    uninterrupted one (model init before the weights are loaded, the base
    seed a fresh DataLoader iterator draws, validation), so random ops in the
    main process (dropout, random ops in the model or data preprocessor)
    would differ after a resume. Seeding from the step makes them depend
    only on where training is. ``runner.seed`` already holds the rank offset
    when ``randomness.diff_rank_seed`` is set.

    Data augmentation runs in DataLoader workers and is seeded per sample by
    the sampler instead (see ``DeepfakeDataset.__getitem__``).
    """
    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        seed_everything(derive_seed(runner.seed, runner.iter))
