"""CAMs of any classifier, found by structure: every torchvision family (random weights,
64 px) and timm models; the CAM's mean over positions plus the class's bias is the logit."""

import pytest
import torch

from dpt.pseudo_boxes import CamClassifier, build_classifier
from dpt.utils.errors import ConfigError

TORCHVISION = [
    'resnet18',
    'resnext50_32x4d',
    'wide_resnet50_2',
    'regnet_y_400mf',
    'regnet_x_400mf',
    'mobilenet_v2',
    'mobilenet_v3_small',
    'mobilenet_v3_large',
    'efficientnet_b0',
    'efficientnet_v2_s',
    'convnext_tiny',
    'densenet121',
    'shufflenet_v2_x0_5',
    'mnasnet0_5',
    'squeezenet1_0',
]
TIMM = [
    'resnet18',
    'convnext_atto',
    'mobilenetv3_small_050',
    'efficientnet_b0',
    'regnety_002',
    'mobilenetv4_conv_small',
    'ghostnetv2_100',
]


def _check(model):
    torch.manual_seed(0)
    for m in model.modules():  # non-trivial BatchNorm statistics
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2)
    clf = CamClassifier(model)
    x = torch.randn(2, 3, 64, 64)
    labels = torch.tensor([1, 3])
    with torch.no_grad():
        logits = model(x)[torch.arange(2), labels]
        cams = clf.cams(x, labels)
    assert cams.dim() == 3 and cams.shape[-1] > 1
    bias = clf.fc.bias[labels] if clf.fc.bias is not None else 0
    torch.testing.assert_close(cams.mean((1, 2)) + bias, logits, rtol=1e-3, atol=1e-3)
    return clf


@pytest.mark.parametrize('name', TORCHVISION)
def test_torchvision_family(name):
    import torchvision

    if name == 'squeezenet1_0':  # its classifier is a conv + ReLU before pooling: refused
        with pytest.raises(ConfigError, match='logits do not come from a linear layer'):
            CamClassifier(torchvision.models.get_model(name, num_classes=5))
        return
    _check(torchvision.models.get_model(name, num_classes=5).eval())


@pytest.mark.parametrize('name', TIMM)
def test_timm_model(name):
    import timm

    _check(timm.create_model(name, num_classes=5).eval())


def test_head_mlp_is_followed_through():
    import torchvision

    clf = _check(torchvision.models.get_model('mobilenet_v3_small', num_classes=5).eval())
    assert [type(m).__name__ for _, m in clf.head] == ['Linear', 'Hardswish']


def test_class_count_from_the_checkpoint_and_num_classes(tmp_path):
    import torchvision

    torch.save(torchvision.models.mobilenet_v2(num_classes=7).state_dict(), tmp_path / 'm.pth')
    assert build_classifier('torchvision:mobilenet_v2', str(tmp_path / 'm.pth')).num_classes == 7
    assert (
        build_classifier(
            'torchvision:mobilenet_v2', str(tmp_path / 'm.pth'), num_classes=7
        ).num_classes
        == 7
    )
    assert build_classifier('torchvision:mobilenet_v2', num_classes=4).num_classes == 4
