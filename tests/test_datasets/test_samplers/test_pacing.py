import pytest

from qcdet.datasets.samplers.pacing import PACING_FUNCTIONS, get_pacing_fn

START, END = 0.3, 10
GROWING = ['linear', 'root', 'geometric', 'step']


@pytest.mark.parametrize('name', GROWING)
def test_growing_pacing_runs_from_start_to_one(name):
    fn = get_pacing_fn(name)
    assert fn(0, START, END) == pytest.approx(START)
    assert fn(END, START, END) == pytest.approx(1.0)
    assert fn(3 * END, START, END) == pytest.approx(1.0)
    mid = fn(END // 2, START, END)
    assert START < mid < 1.0


@pytest.mark.parametrize('name', list(PACING_FUNCTIONS))
def test_pacing_is_monotone_and_bounded(name):
    fn = get_pacing_fn(name)
    values = [fn(epoch, START, END) for epoch in range(2 * END)]
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert all(START - 1e-12 <= v <= 1.0 + 1e-12 for v in values)


def test_constant_pacing_stays_at_start():
    fn = get_pacing_fn('constant')
    assert {fn(e, START, END) for e in range(2 * END)} == {START}


def test_shapes_differ_as_documented():
    linear = get_pacing_fn('linear')(5, START, END)
    assert linear == pytest.approx(START + (1 - START) / 2)
    assert get_pacing_fn('root')(5, START, END) > linear
    assert get_pacing_fn('geometric')(5, START, END) < linear


def test_step_pacing_holds_then_jumps():
    fn = get_pacing_fn('step')
    values = [fn(e, START, END, num_steps=2) for e in range(END + 1)]
    assert values[:5] == [pytest.approx(START)] * 5
    assert values[5:10] == [pytest.approx(START + (1 - START) / 2)] * 5
    assert values[10] == pytest.approx(1.0)


def test_bad_arguments_raise():
    with pytest.raises(KeyError, match='linear'):
        get_pacing_fn('cosine')
    with pytest.raises(ValueError, match='start_fraction'):
        get_pacing_fn('linear')(0, 1.5, END)
    with pytest.raises(ValueError, match='end_epoch'):
        get_pacing_fn('linear')(0, START, 0)
    with pytest.raises(ValueError, match='start_fraction > 0'):
        get_pacing_fn('geometric')(0, 0.0, END)
    with pytest.raises(ValueError, match='num_steps'):
        get_pacing_fn('step')(0, START, END, num_steps=0)
