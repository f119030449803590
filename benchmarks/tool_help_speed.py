"""Seconds each tool takes to answer ``--help`` (the target: under 1 s,
issue #21), the median of ``--rounds`` runs in fresh interpreters.

    python -m benchmarks.tool_help_speed [--rounds 3]

Prints ``help_s <tool>: SECONDS`` per tool and ``help_s_max: SECONDS``.
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def help_seconds(tool: Path, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, str(tool), '--help'], cwd=REPO,
                       capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(
        description='Time every tool\'s --help in fresh interpreters.')
    parser.add_argument('--rounds', type=int, default=3,
                        help='runs per tool; the median is printed')
    args = parser.parse_args()
    worst = 0.0
    for tool in sorted((REPO / 'tools').rglob('*.py')):
        seconds = help_seconds(tool, args.rounds)
        worst = max(worst, seconds)
        print(f'help_s {tool.relative_to(REPO).as_posix()}: {seconds:.3f}')
    print(f'help_s_max: {worst:.3f}')


if __name__ == '__main__':
    main()
