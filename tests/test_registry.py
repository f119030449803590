from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import DefaultScope

import qcdet.registry as registry


def test_children_of_mmengine_roots_with_lazy_locations():
    for name in registry.__all__:
        reg = getattr(registry, name)
        assert reg.scope == 'qcdet'
        if name == 'QUALITY_EVALUATORS':
            assert reg.parent is None  # a new root
        else:
            assert reg.parent is not None and reg.parent.scope == 'mmengine'
    assert registry.MODELS.parent is MMENGINE_MODELS
    assert registry.MODELS._locations == ['qcdet.models']


def test_qcdet_modules_are_found_lazily():
    with DefaultScope.overwrite_default_scope('qcdet'):
        assert registry.MODELS.get('DeepfakeDetector') is not None
        assert registry.DATASETS.get('DeepfakeDataset') is not None
        assert registry.DATA_SAMPLERS.get('QualityCurriculumSampler')
        assert registry.TRANSFORMS.get('FreqAugment') is not None
        assert registry.HOOKS.get('QualityScoreHook') is not None
        assert registry.METRICS.get('DeepfakeMetric') is not None
        assert registry.QUALITY_EVALUATORS.get('FQSCombiner') is not None
        # MMEngine's own modules through the parent, mmpretrain's by scope
        assert registry.HOOKS.get('CheckpointHook') is not None
        assert registry.MODELS.get('mmpretrain.ResNet').__module__.startswith(
            'mmpretrain')


def test_build_mmpretrain_backbone_inside_a_qcdet_detector():
    import torch
    with DefaultScope.overwrite_default_scope('qcdet'):
        model = registry.MODELS.build(dict(
            type='DeepfakeDetector',
            backbone=dict(type='mmpretrain.ResNet', depth=18),
            head=dict(type='BinaryClsHead', in_channels=512)))
    logits = model.eval()(torch.zeros(1, 3, 32, 32), mode='tensor')
    assert logits.shape == (1, 2)
