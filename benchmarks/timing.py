"""Timing cases that alternate, shared by the micro-benchmarks (not a
benchmark itself)."""
import statistics
import time

__all__ = ['interleaved']


def seconds_per_call(fn, repeats):
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def interleaved(cases, repeats, rounds):
    """Median seconds per call of each case; the cases alternate every round
    (after one warm-up call each: caches, FFT plans, lazy model loading), so
    a shared, noisy machine affects them alike."""
    for fn in cases.values():
        fn()
    times = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            times[name].append(seconds_per_call(fn, repeats))
    return {name: statistics.median(t) for name, t in times.items()}
