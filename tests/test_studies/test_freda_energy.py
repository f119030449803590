"""studies/freda_energy.py runs at a tiny size and prints the FreDA energy
shares as ``name: value`` lines."""
import json
import math

import cv2
import pytest
from test_generalization import name_values, run_script

from studies.freda_energy import energy_terms, share, tercile

# end to end through subprocesses: minutes
pytestmark = pytest.mark.slow

FAMILIES = ('blend_swap', 'warp_reenact', 'upsample', 'texture_noise')


def test_freda_energy_tiny_synthetic(tmp_path):
    text = run_script('freda_energy', '--benchmark', 'v1', 'v2',
                      '--num-identities', '6', '--frames-per-video', '1',
                      '--size', '32', '--out', str(tmp_path), '--shared',
                      str(tmp_path / 'absent'))
    values = name_values(text)
    assert 'real-data part skipped' in text
    for benchmark in ('v1', 'v2'):
        assert values[f'{benchmark}_low_in_real_range'] in ('true', 'false')
        for family in FAMILIES:
            for t in ('low', 'mid', 'high'):
                value = float(values[f'{benchmark}_{family}_{t}_share'])
                assert math.isnan(value) or value <= 1.0
    # the printed share is the pooled share of the generated pairs
    root = tmp_path / 'synthetic_v2_32px'
    records = [
        r for split in ('train', 'val', 'test')
        for r in json.loads((root / 'annotations' /
                             f'{split}.json').read_text())['data_list']
        if r['method'] == 'upsample'
    ]
    low = [r for r in records if tercile(r['true_quality']) == 'low']
    if low:
        expected = share([
            energy_terms(cv2.imread(str(root / r['img_path'])),
                         cv2.imread(str(root / r['pair_path'])), 0.1)
            for r in low
        ])
        assert float(values['v2_upsample_low_share']) == round(expected, 3)


def test_freda_energy_ffpp(tmp_path, shared_data):
    text = run_script('freda_energy', '--benchmark', 'v2',
                      '--num-identities', '3', '--frames-per-video', '1',
                      '--size', '32', '--ffpp-frames', '1', '--out',
                      str(tmp_path), '--shared', str(shared_data))
    values = name_values(text)
    # its original is not in the sample: named as left out
    assert 'Face2Face' in text
    for method in ('Deepfakes', 'FaceSwap', 'NeuralTextures'):
        assert 0.0 < float(values[f'ffpp_{method}_share']) < 1.0
