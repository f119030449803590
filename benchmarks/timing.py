"""Timing primitives of the speed benchmarks: wall clocks that wait for
queued GPU work, and interleaved medians that a shared, noisy machine
affects alike."""
import statistics
import time


def sync():
    """Waits for queued GPU work, so that wall clocks time it (no-op on a
    CPU)."""
    import torch
    if torch.cuda.is_available():
        torch.cuda.synchronize()


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


def one_thread():
    """Runs this process on one CPU thread, as one DataLoader worker does:
    torch's and OpenCV's pools and the BLAS/OpenMP pools under numpy."""
    import cv2
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    threadpool_limits(1)
