import pytest
import torch

from dpt.utils.errors import CheckpointError
from dpt.utils.state_dict import check_fits, compare_state_dicts, state_dict_of


def model_state():
    return {'backbone.conv.weight': torch.zeros(8, 3, 3, 3), 'backbone.bn.weight': torch.zeros(8),
            'head.cls.weight': torch.zeros(6, 8), 'head.reg.weight': torch.zeros(4, 8)}


def test_report_counts_loaded_mismatched_missing_unused():
    ckpt = {'backbone.conv.weight': torch.ones(8, 3, 3, 3), 'backbone.bn.weight': torch.ones(8),
            'head.cls.weight': torch.ones(81, 8), 'extra.fc.weight': torch.ones(2)}
    report = compare_state_dicts(ckpt, model_state())
    assert report.loaded == ['backbone.conv.weight', 'backbone.bn.weight']
    assert [k for k, _, _ in report.shape_mismatch] == ['head.cls.weight']
    assert report.missing == ['head.reg.weight']
    assert report.unexpected == ['extra.fc.weight']
    assert report.fit_fraction == 0.5
    text = report.summary()
    assert "loaded 2 of the model's 4 tensors" in text
    assert 'backbone' in text and '(81, 8) -> (6, 8)' in text
    check_fits(report, 'x.pth', 'Toy', 0.5)  # enough fits
    with pytest.raises(CheckpointError, match='x.pth: does not fit Toy'):
        check_fits(report, 'x.pth', 'Toy', 0.75)


def test_checkpoint_of_another_model_is_refused():
    ckpt = {'conv1.weight': torch.ones(64, 3, 7, 7), 'fc.weight': torch.ones(1000, 2048)}
    report = compare_state_dicts(ckpt, model_state())
    with pytest.raises(CheckpointError, match='0 of its 2 tensors'):
        check_fits(report, 'resnet.pth', 'MaskRCNN', 0.5)


def test_state_dict_of_accepts_the_common_layouts():
    sd = {'a': torch.ones(1)}
    assert state_dict_of({'state_dict': sd, 'meta': {}}) is sd
    assert state_dict_of({'model': sd}) is sd
    assert state_dict_of(sd) is sd
    with pytest.raises(CheckpointError):
        state_dict_of([1, 2])
