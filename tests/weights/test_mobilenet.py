"""torchvision's MobileNetV2 -> mmdet's MobileNetV2: every mmdet tensor filled, every
torchvision ``features.*`` tensor used, the ImageNet classifier dropped, and the converted
backbone computes what torchvision's network computes."""

import pytest
import torch

from dpt.utils.errors import CheckpointError
from dpt.weights.backbone import convert_backbone
from dpt.weights.mobilenet import FORMAT, import_mobilenet_v2, mmdet_key


@pytest.fixture(scope='module')
def torchvision_state():
    """A torchvision MobileNetV2 with random weights and distinct BN statistics."""
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2()
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith(('running_mean', 'running_var')):
            value.uniform_(0.5, 1.5)
    return state


def mmdet_mobilenet(out_indices=(1, 2, 4, 7)):
    from mmdet.models.backbones import MobileNetV2

    model = MobileNetV2(out_indices=out_indices)
    model.eval()  # mmdet's MobileNetV2.train returns None
    return model


def test_every_key_filled_and_used(torchvision_state):
    result = import_mobilenet_v2(torchvision_state, 'tv.pth')
    own = mmdet_mobilenet().state_dict()
    assert list(result.state) == list(own)  # every mmdet key, in mmdet's order
    features = [k for k in torchvision_state if k.startswith('features.')]
    assert sorted(result.mapped) == sorted(features)  # every features.* key used
    assert result.dropped == {'ImageNet classifier': ['classifier.1.weight', 'classifier.1.bias']}
    assert not (result.missing or result.unexpected or result.mismatched or result.filled)
    assert 'nothing unexpected, nothing missing' in result.summary()
    # each tensor moved unchanged: the renaming is one-to-one
    assert len({mmdet_key(k) for k in features}) == len(features)
    for key in features:
        assert torch.equal(result.state[mmdet_key(key)], torchvision_state[key])


def test_same_features_as_torchvision(torchvision_state):
    """mmdet's layer7 output (index 6) and conv2 (index 7) equal torchvision's
    features[:18] / features output on the same input."""
    import torchvision

    tv = torchvision.models.mobilenet_v2()
    tv.load_state_dict(torchvision_state)
    tv.eval()
    mm = mmdet_mobilenet(out_indices=(6, 7))
    report = mm.load_state_dict(import_mobilenet_v2(torchvision_state).state, strict=True)
    assert not report.missing_keys and not report.unexpected_keys
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        layer7, conv2 = mm(x)
        torch.testing.assert_close(layer7, tv.features[:18](x))
        torch.testing.assert_close(conv2, tv.features(x))


def test_convert_file_and_pretrained_load(torchvision_state, tmp_path):
    src, out = tmp_path / 'mobilenet_v2.pth', tmp_path / 'mmdet.pth'
    torch.save({f'module.{k}': v for k, v in torchvision_state.items()}, src)
    result = convert_backbone(str(src), str(out))  # detected from the keys
    assert result.format == FORMAT and len(result.state) == 312
    from mmdet.models.backbones import MobileNetV2

    model = MobileNetV2(
        out_indices=(1, 2, 4, 6), init_cfg=dict(type='Pretrained', checkpoint=str(out))
    )
    model.init_weights()
    first = 'features.0.0.weight'
    assert torch.equal(model.conv1.conv.weight, torchvision_state[first])
    assert torch.equal(
        model.layer7[0].linear_conv.bn.running_var,
        torchvision_state['features.17.conv.3.running_var'],
    )


def test_refuses_other_widths_and_strays(torchvision_state):
    cut = {k: v for k, v in torchvision_state.items() if not k.startswith('features.17.')}
    with pytest.raises(CheckpointError, match=r"tv\.pth: .* missing, e\.g\. 'layer7\.0"):
        import_mobilenet_v2(cut, 'tv.pth')
    stray = dict(torchvision_state, **{'features.19.0.weight': torch.zeros(1)})
    with pytest.raises(CheckpointError, match=r"unexpected, e\.g\. 'features\.19\.0\.weight'"):
        import_mobilenet_v2(stray, 'tv.pth')
    with pytest.raises(CheckpointError, match='another shape'):
        import_mobilenet_v2(torchvision_state, 'tv.pth', widen_factor=0.5)


def test_real_imagenet_weights(tmp_path):
    """The offline ImageNet checkpoint converts with nothing missing (skipped without it)."""
    from dpt.utils.offline_weights import mobilenet_v2_imagenet

    path = mobilenet_v2_imagenet()
    if path is None:
        pytest.skip('torchvision ImageNet MobileNetV2 not in the cache (tools/setup_env.sh)')
    result = convert_backbone(path, str(tmp_path / 'mnv2.pth'))
    assert len(result.mapped) == 312 and not result.missing and not result.filled


def test_region_encoder_reads_torchvision_mobilenet(torchvision_state, tmp_path):
    """DETReg's frozen region encoder built as mmdet's MobileNetV2 (up to layer3) takes
    torchvision's checkpoint as it is and embeds crops with layer3's 32 channels."""
    from dpt.models.detreg.region_encoder import RegionEncoder

    src = tmp_path / 'mobilenet_v2.pth'
    torch.save(torchvision_state, src)
    encoder = RegionEncoder(dict(type='MobileNetV2', out_indices=(2,)), checkpoint=str(src))
    encoder.init_weights()
    assert torch.equal(
        encoder.backbone.layer3[0].expand_conv.conv.weight,
        torchvision_state['features.4.conv.0.0.weight'],
    )
    assert encoder.out_channels == 32
    feats = encoder(torch.randint(0, 255, (2, 3, 32, 32), dtype=torch.uint8))
    assert feats.shape == (2, 32)


def test_classifier_starts_from_torchvision_weights(torchvision_state, tmp_path):
    """DAP's classifier: torchvision's MobileNetV2 with every tensor of the checkpoint but
    the 1000-class layer, which gets the new classes; another model is refused."""
    from dpt.apis.classifier import ClassifierRecipe, build_model

    src = tmp_path / 'mobilenet_v2.pth'
    torch.save(torchvision_state, src)
    model = build_model(ClassifierRecipe(arch='torchvision:mobilenet_v2', init=str(src)), 6)
    state = model.state_dict()
    assert state['classifier.1.weight'].shape == (6, 1280)
    assert all(
        torch.equal(state[k], v)
        for k, v in torchvision_state.items()
        if not k.startswith('classifier.')
    )
    with pytest.raises(CheckpointError, match="mobilenet_v2.pth: tensor 'conv1.weight' missing"):
        build_model(ClassifierRecipe(arch='torchvision:resnet18', init=str(src)), 6)
