import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from qcdet.models.detectors import DeepfakeDetector

SMALL_BACKBONE = dict(type='TimmBackbone', model_name='mobilenetv3_small_050')
SMALL_HEAD = dict(type='BinaryClsHead', in_channels=288)


@pytest.fixture(scope='module')
def detector():
    torch.manual_seed(0)
    model = DeepfakeDetector(
        backbone=SMALL_BACKBONE,
        head=SMALL_HEAD,
        data_preprocessor=dict(
            type='DeepfakeDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True))
    model.init_weights()
    return model


def make_batch(labels, sample_idx=None, size=64):
    generator = torch.Generator().manual_seed(1)
    inputs, samples = [], []
    for i, label in enumerate(labels):
        inputs.append(
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                          generator=generator))
        metainfo = {} if sample_idx is None or sample_idx[i] is None else \
            dict(sample_idx=sample_idx[i])
        samples.append(DataSample(metainfo=metainfo).set_gt_label(label))
    return dict(inputs=inputs, data_samples=samples)


def test_tensor_mode_gives_logits(detector):
    data = detector.data_preprocessor(make_batch([0, 1, 1]))
    logits = detector(data['inputs'])
    assert logits.shape == (3, 2)
    assert detector.extract_feat(data['inputs']).shape == (3, 288)


def test_loss_mode_returns_scalars_and_feedback(detector):
    detector.eval()  # same numbers in 'loss' and 'predict' mode
    labels = [0, 1, 1, 0]
    data = detector.data_preprocessor(
        make_batch(labels, sample_idx=[7, 3, None, 12]))
    out = detector(**data, mode='loss')

    assert set(out) == {'loss', 'acc'}
    assert all(value.dim() == 0 for value in out.values())
    assert out['loss'].requires_grad

    feedback = detector.train_feedback
    assert set(feedback) == {'sample_idx', 'fake_prob', 'loss', 'label',
                             'freda'}
    assert feedback['freda'].tolist() == [False] * 4
    assert feedback['sample_idx'].dtype == torch.long
    assert feedback['sample_idx'].tolist() == [7, 3, -1, 12]
    assert feedback['label'].dtype == torch.long
    assert feedback['label'].tolist() == labels
    for value in feedback.values():
        assert value.device.type == 'cpu' and not value.requires_grad
        assert value.shape == (4, )
    assert torch.isclose(feedback['loss'].mean(), out['loss'].detach())

    # FreDA'd inputs are flagged from what FreqAugment did (freda_applied),
    # not from the sampler's plan (qc_easy: an unpaired easy fake stays
    # raw), so the score hook leaves exactly them out
    data['data_samples'][1].set_metainfo(dict(freda_applied=True))
    data['data_samples'][2].set_metainfo(dict(qc_easy=True,
                                              freda_applied=False))
    data['data_samples'][3].set_metainfo(dict(qc_easy=True))
    detector(**data, mode='loss')
    assert detector.train_feedback['freda'].tolist() == [False, True, False,
                                                         False]

    predictions = detector(**data, mode='predict')
    scores = torch.stack([p.pred_score for p in predictions])
    assert torch.allclose(scores.sum(dim=1), torch.ones(4))
    assert torch.allclose(feedback['fake_prob'], scores[:, 1])
    # Per-sample loss is the cross-entropy of the predicted probabilities.
    true_prob = scores[torch.arange(4), torch.tensor(labels)]
    assert torch.allclose(feedback['loss'], -true_prob.log(), atol=1e-5)
    expected_acc = (scores.argmax(dim=1) == torch.tensor(labels)).float()
    assert torch.isclose(out['acc'], expected_acc.mean())


def test_predict_fills_given_or_new_data_samples(detector):
    detector.eval()
    data = detector.data_preprocessor(make_batch([1, 0], sample_idx=[5, 6]))
    predictions = detector(**data, mode='predict')
    assert [p.metainfo['sample_idx'] for p in predictions] == [5, 6]
    assert [int(p.gt_label) for p in predictions] == [1, 0]
    for p in predictions:
        assert int(p.pred_label) == int(p.pred_score.argmax())

    fresh = detector(data['inputs'], mode='predict')
    assert len(fresh) == 2 and all(isinstance(p, DataSample) for p in fresh)
    for new, old in zip(fresh, predictions):
        assert torch.allclose(new.pred_score, old.pred_score)


def test_train_step_updates_weights(detector):
    detector.train()
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(detector.parameters(), lr=0.1))
    before = detector.head.fc.weight.detach().clone()
    log_vars = detector.train_step(make_batch([0, 1]), optim_wrapper)
    assert set(log_vars) == {'loss', 'acc'}
    assert not torch.equal(before, detector.head.fc.weight)
    assert detector.train_feedback['sample_idx'].tolist() == [-1, -1]


def test_bad_labels_and_modes_are_refused(detector):
    data = detector.data_preprocessor(make_batch([0, 1]))
    with pytest.raises(ValueError, match='data_samples'):
        detector(data['inputs'], None, mode='loss')
    data['data_samples'][1].set_gt_label(2)
    with pytest.raises(ValueError, match='gt_label'):
        detector(**data, mode='loss')
    with pytest.raises(ValueError, match='mode'):
        detector(data['inputs'], mode='features')


def test_mmpretrain_backbone_works():
    model = DeepfakeDetector(
        backbone=dict(type='mmpretrain.ResNet', depth=18),
        head=dict(type='BinaryClsHead', in_channels=512))
    data = model.data_preprocessor(make_batch([0, 1], size=32))
    out = model(**data, mode='loss')
    out['loss'].backward()
    assert model.backbone.conv1.weight.grad is not None
    assert model.train_feedback['fake_prob'].shape == (2, )
