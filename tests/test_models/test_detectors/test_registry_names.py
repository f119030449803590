"""Detector classes are named <Method>Detector; CORE and RECCE had other
names before, which saved configs still use."""
import detector_batches
import pytest

from qcdet.models.detectors import COREDetector, RECCEDetector


@pytest.mark.parametrize('old_name, cls, config', [
    ('CORE', COREDetector, 'configs/core/core_mobilenetv3_1xb32_12e_demo.py'),
    ('RECCE', RECCEDetector,
     'configs/recce/recce_mobilenetv3_1xb32_12e_demo.py'),
])
def test_the_name_before_the_rename_still_builds(old_name, cls, config):
    current = detector_batches.build_detector(config)
    old = detector_batches.build_detector(config, type=old_name)
    assert type(current) is type(old) is cls
    assert old.state_dict().keys() == current.state_dict().keys()
