"""The studies' tables and statistics: mean ± sd cells, tables by held-out
family and variant, differences paired by family and seed, and the closing
``name: value`` lines that scripts parse."""
import time

import numpy as np


def mean_std(values) -> str:
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f'{values.mean():.3f} ± {sd:.3f}'


def format_table(results, metric, variants, families,
                 label='held-out family') -> str:
    rows = [
        f'| {label} | ' + ' | '.join(variants) + ' |',
        '|---' * (len(variants) + 1) + '|'
    ]
    for family in families + ['mean']:
        cells = []
        for variant in variants:
            values = [
                r[metric] for r in results
                if r['variant'] == variant and r[metric] is not None and (
                    family == 'mean' or r['held_out'] == family)
            ]
            # mean: over families of the seed-wise values; std over seeds
            # of the mean
            if family == 'mean':
                by_seed = {}
                for r in results:
                    if r['variant'] == variant and r[metric] is not None:
                        by_seed.setdefault(r['seed'], []).append(r[metric])
                values = [np.mean(v) for v in by_seed.values()]
            cells.append(mean_std(values) if values else 'n/a')
        rows.append(f'| {family} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def paired_difference(results, metric, variant='qc', reference='baseline'):
    """QC − baseline per (family, seed) pair: the same data and seed for
    both."""
    ref = {(r['held_out'], r['seed']): r[metric] for r in results
           if r['variant'] == reference and r[metric] is not None}
    diffs = [
        r[metric] - ref[(r['held_out'], r['seed'])] for r in results
        if r['variant'] == variant and r[metric] is not None and (
            r['held_out'], r['seed']) in ref
    ]
    return np.asarray(diffs, dtype=float)


def print_name_values(lines: dict, start: float) -> None:
    """The closing ``name: value`` lines (plus ``study_minutes``) that scripts
    parse."""
    lines['study_minutes'] = f'{(time.time() - start) / 60:.1f}'
    for name, value in lines.items():
        print(f'{name}: {value}')
