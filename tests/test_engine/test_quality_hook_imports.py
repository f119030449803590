"""The training side stays apart from the offline one: importing (and
building) the quality score hook loads neither the face stack nor the
static quality evaluators, which run once before training."""
import json
import subprocess
import sys

OFFLINE = ('qcdet.faces', 'qcdet.offline')


def _modules_after(code: str) -> list:
    """The ``qcdet`` modules a fresh interpreter holds after ``code``."""
    probe = code + (
        '\nimport json, sys\n'
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.startswith('qcdet'))))")
    out = subprocess.run([sys.executable, '-c', probe], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_score_hook_imports_no_face_stack_nor_offline_evaluators():
    loaded = _modules_after(
        'from qcdet.engine.hooks.quality_score_hook import QualityScoreHook'
        '\nQualityScoreHook()')
    assert 'qcdet.engine.hooks.quality_score_hook' in loaded
    assert 'qcdet.quality.fqs' in loaded  # what the hook builds
    assert [m for m in loaded if m.startswith(OFFLINE)] == []


def test_the_offline_driver_registers_the_static_evaluators():
    """What builds the static evaluators imports the module that registers
    them (they are not in the registry's lazy location)."""
    loaded = _modules_after(
        'from qcdet.offline.static_quality import evaluator_config\n'
        'from qcdet.registry import QUALITY_EVALUATORS\n'
        "QUALITY_EVALUATORS.build(evaluator_config('ssim'))")
    assert 'qcdet.offline.quality_evaluators.ssim_similarity' in loaded
