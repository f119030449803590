"""How strongly the curriculum follows FQS: the chance that a fake in the
bottom or top quartile of FQS is drawn "hard", per temperature and hard
fraction (reproduces the table in docs/method.md).

    python tools/analysis/sampler_temperature.py [--num-fakes 200] [--epochs
    400]
"""
import argparse

import numpy as np

from qcdet.datasets.samplers import QualityCurriculumSampler


class Fakes:
    def __init__(self, n):
        self.labels = np.ones(n, dtype=np.int64)

    def __len__(self):
        return len(self.labels)

    def get_labels(self):
        return self.labels


def hard_rates(num_fakes, temperature, fraction, epochs):
    sampler = QualityCurriculumSampler(
        Fakes(num_fakes), seed=0, pacing='constant', start_fraction=fraction,
        end_epoch=1, temperature=temperature, rank=0, world_size=1)
    sampler.set_scores(np.arange(num_fakes, dtype=float))  # rank = quality
    hard = np.zeros(num_fakes)
    for epoch in range(epochs):
        hard += ~sampler.epoch_plan(epoch).easy
    hard /= epochs
    quarter = num_fakes // 4
    return hard[:quarter].mean(), hard[-quarter:].mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num-fakes', type=int, default=200)
    parser.add_argument('--epochs', type=int, default=400)
    args = parser.parse_args()
    fractions = (0.3, 0.5, 0.8)
    print('temperature | ' + ' | '.join(f'hard {f:.0%}: bottom / top'
                                        for f in fractions))
    for temperature in (1.0, 0.5, 0.25, 0.1):
        cells = [hard_rates(args.num_fakes, temperature, f, args.epochs)
                 for f in fractions]
        print(f'{temperature} | ' + ' | '.join(f'{b:.2f} / {t:.2f}'
                                               for b, t in cells))


if __name__ == '__main__':
    main()
