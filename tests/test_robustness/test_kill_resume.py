"""A QC training run killed mid-epoch and resumed ends exactly where an
uninterrupted run ends."""
import re

import pytest
import torch
from robust_helpers import ITERS_PER_EPOCH, MAX_EPOCHS, evaluate, train

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

KILL_AT = ITERS_PER_EPOCH + 2  # right after step 3 of epoch 2 (of 6)


def tensors_equal(a, b, where=''):
    """Bitwise equality of two nested checkpoint structures."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype \
            and a.shape == b.shape, f'{where}: dtype or shape differs'
        if a.is_floating_point():  # NaN (reals' quality scores) == NaN
            assert torch.equal(a.isnan(), b.isnan()), f'{where} differs'
            a, b = a[~a.isnan()], b[~b.isnan()]
        assert torch.equal(a, b), f'{where} differs'
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f'{where}: keys differ'
        for key in a:
            tensors_equal(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f'{where}: lengths differ'
        for i, (x, y) in enumerate(zip(a, b)):
            tensors_equal(x, y, f'{where}[{i}]')
    else:
        assert a == b or (a != a and b != b), f'{where}: {a!r} != {b!r}'


def test_killed_and_resumed_run_equals_uninterrupted(qc_config, single_run,
                                                     single_test, tmp_path):
    """Expectation: a QC run with 2 persistent DataLoader workers, SIGKILLed
    right after step 3 of epoch 2 and resumed with ``--resume``, ends with
    bitwise the same model weights (every state_dict tensor, BatchNorm
    statistics included), optimizer state and quality scores as an
    uninterrupted run, and with the same test metrics and predictions.

    What a kill costs: checkpoints are written at epoch ends and MMEngine's
    epoch loop cannot start mid-epoch, so the resumed run redoes epoch 2
    from the epoch-1 checkpoint; the 3 steps done before the kill are lost.
    Equality holds because every random draw depends only on where training
    is: StepSeedHook reseeds the main process from (seed, iteration) and
    QualityCurriculumSampler gives each sample an augmentation seed from
    (seed, epoch), which the dataset uses in whichever worker loads it.
    """
    work = tmp_path / 'killed'
    out = train(qc_config, work, expect_rc=-9,
                QCDET_KILL_AT_ITER=str(KILL_AT))
    assert re.search(r'Epoch\(train\)\s*\[2\]\[3/6\]', out)  # got this far
    assert (work / 'epoch_1.pth').exists()
    assert not (work / 'epoch_2.pth').exists()  # died before the epoch end

    out = train(qc_config, work, '--resume')
    assert 'resumed epoch: 1, iter: 6' in out
    assert 'restored quality scores' in out

    name = f'epoch_{MAX_EPOCHS}.pth'
    resumed = torch.load(work / name, weights_only=False)
    uninterrupted = torch.load(single_run / name, weights_only=False)
    for key in ('state_dict', 'optimizer', 'qcdet_quality'):
        tensors_equal(resumed[key], uninterrupted[key], key)
    assert len(resumed['state_dict']) > 100  # really compared the weights
    assert (work / 'quality' / f'epoch_{MAX_EPOCHS}.json').read_text() == \
        (single_run / 'quality' / f'epoch_{MAX_EPOCHS}.json').read_text()

    metrics, predictions = evaluate(qc_config, work / name, tmp_path / 'test')
    expected_metrics, expected_predictions = single_test
    assert metrics == expected_metrics
    for got, want in zip(predictions, expected_predictions, strict=True):
        assert torch.equal(got['pred_score'], want['pred_score'])
