"""The weights-free SSIM static evaluator ranks the demo data's fakes like
the generator's true quality knob (Spearman rho within each family)."""
import json

import numpy as np
from scipy.stats import spearmanr

from qcdet.offline.quality_evaluators import SSIMSimilarityEvaluator
from qcdet.offline.synthetic_data.generate import generate_demo_dataset

# Stated thresholds: the mean within-family rho, and no family ranked
# backwards. warp_reenact is the weakest: its warped region (mouth, eyes or
# both) varies per video, which moves a whole-image SSIM as much as q does.
MIN_MEAN_RHO = 0.5
MIN_FAMILY_RHO = 0.0


def test_ssim_ranking_agrees_with_true_quality(tmp_path):
    generate_demo_dataset(str(tmp_path), seed=1, num_identities=40,
                          videos_per_identity=1, frames_per_video=2,
                          size=64)
    evaluator = SSIMSimilarityEvaluator()
    pairs = {}
    for split in ('train', 'val', 'test'):
        ann = json.loads((tmp_path / 'annotations' / f'{split}.json')
                         .read_text())
        for r in ann['data_list']:
            if r['label'] == 1:
                score = evaluator.score_paths(str(tmp_path / r['img_path']),
                                              str(tmp_path / r['pair_path']))
                pairs.setdefault(r['method'], []).append(
                    (score, r['true_quality']))
    rho = {m: spearmanr(*np.array(v).T)[0] for m, v in pairs.items()}
    print('Spearman rho (SSIM vs true quality):',
          {m: round(float(r), 3) for m, r in rho.items()})
    assert len(rho) == 4
    assert np.mean(list(rho.values())) >= MIN_MEAN_RHO, rho
    assert min(rho.values()) > MIN_FAMILY_RHO, rho
