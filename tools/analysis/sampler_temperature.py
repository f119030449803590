"""How strongly the curriculum follows FQS: per selection strength beta
('paced', the default) the slots of a fake in the bottom and top quartile of
FQS and the FreDA share of the fake visits; per temperature ('routing') the
chance that such a fake is drawn "hard". Reproduces the tables in
docs/method.md.

    python tools/analysis/sampler_temperature.py [--num-fakes 200]
        [--epochs 400]
"""
import argparse

import numpy as np


class Fakes:
    def __init__(self, n):
        self.labels = np.ones(n, dtype=np.int64)

    def __len__(self):
        return len(self.labels)

    def get_labels(self):
        return self.labels


def sampler_for(num_fakes, **kwargs):
    from qcdet.datasets.samplers import QualityCurriculumSampler
    sampler = QualityCurriculumSampler(Fakes(num_fakes), seed=0, end_epoch=1,
                                       rank=0, world_size=1, **kwargs)
    sampler.set_scores(np.arange(num_fakes, dtype=float))  # rank = quality
    return sampler


def quartiles(values):
    quarter = len(values) // 4
    return values[:quarter].mean(), values[-quarter:].mean()


def paced_rates(num_fakes, beta, epochs):
    """Mean slots per epoch of the bottom / top quartile, FreDA share."""
    sampler = sampler_for(num_fakes, mode='paced', beta_start=beta,
                          beta_end=beta)
    visits, shares = np.zeros(num_fakes), []
    for epoch in range(epochs):
        plan = sampler.epoch_plan(epoch)
        visits += plan.visits
        shares.append((plan.visits * plan.easy).sum() / plan.visits.sum())
    return (*quartiles(visits / epochs), float(np.mean(shares)))


def hard_rates(num_fakes, temperature, fraction, epochs):
    sampler = sampler_for(num_fakes, mode='routing', pacing='constant',
                          start_fraction=fraction, temperature=temperature)
    hard = np.zeros(num_fakes)
    for epoch in range(epochs):
        hard += ~sampler.epoch_plan(epoch).easy
    return quartiles(hard / epochs)


def main():
    parser = argparse.ArgumentParser(
        description='Print how strongly the curriculum follows FQS: the '
        'slots of the least and most realistic fakes per selection strength '
        'and temperature (the tables of docs/method.md).')
    parser.add_argument('--num-fakes', type=int, default=200,
                        help='fakes of the toy dataset, ranked by quality')
    parser.add_argument('--epochs', type=int, default=400,
                        help='epochs averaged per table cell')
    args = parser.parse_args()
    print("mode='paced', freda_fraction=0.3")
    print('beta | slots per epoch: bottom / top quartile | FreDA share')
    for beta in (-2.0, -1.0, 0.0, 1.0, 2.0):
        bottom, top, share = paced_rates(args.num_fakes, beta, args.epochs)
        print(f'{beta:+.1f} | {bottom:.2f} / {top:.2f} | {share:.2f}')
    print()
    fractions = (0.3, 0.5, 0.8)
    print("mode='routing'")
    print('temperature | ' + ' | '.join(f'hard {f:.0%}: bottom / top'
                                        for f in fractions))
    for temperature in (1.0, 0.5, 0.25, 0.1):
        cells = [hard_rates(args.num_fakes, temperature, f, args.epochs)
                 for f in fractions]
        print(f'{temperature} | ' + ' | '.join(f'{b:.2f} / {t:.2f}'
                                               for b, t in cells))


if __name__ == '__main__':
    main()
