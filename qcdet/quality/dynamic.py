"""Dynamic quality: how hard the detector itself finds each fake, from the
training iterations' own outputs (no extra forward pass)."""
import torch

from qcdet.registry import QUALITY_EVALUATORS

__all__ = ['ModelFeedbackEvaluator']


@QUALITY_EVALUATORS.register_module()
class ModelFeedbackEvaluator:
    """Turns per-sample detector feedback into a dynamic score d (higher =
    the detector is fooled more = more realistic fake).

    Args:
        signal (str): ``'prob'`` (default): d = 1 − p_fake, bounded in [0, 1]
            and insensitive to the loss's scale; ``'loss'``: d = the
            per-sample training loss (unbounded, follows the loss function).
    """

    def __init__(self, signal: str = 'prob'):
        if signal not in ('prob', 'loss'):
            raise ValueError(
                f"signal must be 'prob' or 'loss', got {signal!r}")
        self.signal = signal

    def __call__(self, fake_prob: torch.Tensor,
                 loss: torch.Tensor) -> torch.Tensor:
        values = 1.0 - fake_prob if self.signal == 'prob' else loss
        return values.detach().float().cpu()
