import numpy as np
import pytest

from qcdet.offline.quality_evaluators import SSIMSimilarityEvaluator, ssim
from qcdet.registry import QUALITY_EVALUATORS


def smooth_image(seed=0, size=64):
    """A structured image (blurred noise), as SSIM is meant for."""
    import cv2
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (size, size, 3)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), 2)
    blurred = (blurred - blurred.min()) / (blurred.max() - blurred.min())
    return (blurred * 255).astype(np.uint8)


def noisy(image, strength, seed=1):
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, strength, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_identical_images_score_one():
    image = smooth_image()
    evaluator = SSIMSimilarityEvaluator()
    assert evaluator.score(image, image) == pytest.approx(1.0)
    assert SSIMSimilarityEvaluator(grayscale=False).score(
        image, image) == pytest.approx(1.0)


def test_score_decreases_with_noise():
    image = smooth_image()
    evaluator = QUALITY_EVALUATORS.build(dict(type='SSIMSimilarityEvaluator'))
    scores = [evaluator.score(noisy(image, s), image)
              for s in (2, 8, 20, 50, 100)]
    assert all(a > b for a, b in zip(scores, scores[1:]))
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_symmetric():
    a, b = smooth_image(0), noisy(smooth_image(0), 30)
    evaluator = SSIMSimilarityEvaluator(grayscale=False)
    assert evaluator.score(a, b) == pytest.approx(evaluator.score(b, a))


def test_unrelated_images_score_low():
    evaluator = SSIMSimilarityEvaluator()
    assert evaluator.score(smooth_image(0), smooth_image(5)) < 0.3


def test_real_of_other_size_is_resized_and_counted():
    import cv2
    image = smooth_image(size=64)
    bigger = cv2.resize(image, (128, 128), interpolation=cv2.INTER_CUBIC)
    evaluator = SSIMSimilarityEvaluator()
    assert evaluator.score(image, bigger) > 0.9
    assert evaluator.pop_counts() == {'resized_real': 1}
    assert evaluator.counts == {}


def test_ssim_function_checks_shapes():
    with pytest.raises(ValueError, match='same-shaped'):
        ssim(np.zeros((8, 8)), np.zeros((8, 9)))
    # a constant shift of brightness lowers luminance similarity only a bit
    image = smooth_image()[..., 0].astype(float)
    assert 0.9 < ssim(image, image + 10) < 1.0
