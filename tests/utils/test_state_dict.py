import pytest
import torch

from dpt.utils.errors import CheckpointError
from dpt.utils.state_dict import check_fits, compare_state_dicts, state_dict_of


def model_state():
    return {
        'backbone.conv.weight': torch.zeros(8, 3, 3, 3),
        'backbone.bn.weight': torch.zeros(8),
        'head.cls.weight': torch.zeros(6, 8),
        'head.reg.weight': torch.zeros(4, 8),
    }


def test_report_counts_loaded_mismatched_missing_unused():
    ckpt = {
        'backbone.conv.weight': torch.ones(8, 3, 3, 3),
        'backbone.bn.weight': torch.ones(8),
        'head.cls.weight': torch.ones(81, 8),
        'extra.fc.weight': torch.ones(2),
    }
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


def test_bn_checkpoint_into_gn_model_and_back():
    from torch import nn

    from dpt.utils.state_dict import adapt_norm_layers

    bn_model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    gn_model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(4, 8))
    with torch.no_grad():
        bn_model[1].weight.fill_(2.0)
        bn_model[1].running_mean.fill_(5.0)

    state, converted = adapt_norm_layers(bn_model.state_dict(), gn_model)
    assert converted == [('1', 'BN -> GN (affine kept, running statistics dropped)')]
    report = compare_state_dicts(state, gn_model.state_dict())
    assert not report.unexpected and not report.missing and not report.shape_mismatch
    gn_model.load_state_dict(state)
    assert torch.all(gn_model[1].weight == 2.0)
    report.converted = converted
    assert 'converted 1 norm layers: BN -> GN' in report.summary()

    state, converted = adapt_norm_layers(gn_model.state_dict(), bn_model)
    assert converted[0][1].startswith('GN -> BN')
    report = compare_state_dicts(state, bn_model.state_dict())
    assert sorted(report.missing) == ['1.num_batches_tracked', '1.running_mean', '1.running_var']

    # BN -> BN (or SyncBN, same keys): nothing to convert
    assert adapt_norm_layers(bn_model.state_dict(), bn_model)[1] == []


def test_revise_state_dict_keeps_tensors_and_renames_metadata():
    from collections import OrderedDict

    from dpt.utils.state_dict import revise_state_dict

    sd = OrderedDict([('module.a.weight', torch.ones(1)), ('epoch', 3)])
    sd._metadata = OrderedDict([('module.a', {'version': 2})])
    out = revise_state_dict(sd)
    assert list(out) == ['a.weight'] and list(out._metadata) == ['a']


def test_checked_loading_reports_what_the_model_holds():
    from torch import nn

    from dpt.utils.state_dict import load_state_dict_checked

    class Stubborn(nn.Linear):  # a module whose loading keeps its own bias
        def _load_from_state_dict(self, state_dict, prefix, *args):
            state_dict = {k: v for k, v in state_dict.items() if not k.endswith('bias')}
            state_dict[prefix + 'bias'] = self.bias.detach().clone()
            super()._load_from_state_dict(state_dict, prefix, *args)

    model = nn.Sequential(nn.Linear(2, 3), Stubborn(3, 4))
    ckpt = {
        '0.weight': torch.full((3, 2), 2.0),
        '0.bias': torch.full((3,), 2.0),
        '1.weight': torch.full((4, 3), 2.0),
        '1.bias': torch.full((4,), 2.0),
        '2.weight': torch.ones(1),
    }
    report = load_state_dict_checked(model, ckpt)
    assert sorted(report.loaded) == ['0.bias', '0.weight', '1.weight']
    assert report.not_taken == ['1.bias'] and report.unexpected == ['2.weight']
    assert torch.all(model[0].weight == 2.0) and not torch.all(model[1].bias == 2.0)
    assert "loaded 3 of the model's" in report.summary()
    assert 'not taken by the model: 1.bias' in report.summary()


def test_unwrap_checkpoint_names_the_container_and_the_file():
    from dpt.utils.state_dict import unwrap_checkpoint

    sd = {'a': torch.ones(1)}
    assert unwrap_checkpoint({'state_dict': sd, 'meta': {}}) == ('state_dict', sd)
    assert unwrap_checkpoint({'model': sd, 'epoch': 3})[0] == 'model'
    assert unwrap_checkpoint({'state_dict': 'not a dict', **sd}) == (
        '',
        {'state_dict': 'not a dict', **sd},
    )
    with pytest.raises(CheckpointError, match=r'^x\.pth: expected a dict of tensors, got list$'):
        unwrap_checkpoint([1], 'x.pth')
    with pytest.raises(CheckpointError, match=r'^expected a dict of tensors, got int$'):
        state_dict_of(3)


def test_checkpoint_state_as_mmengine_loads_it():
    """Tensors only, ``module.`` removed once: the state dict mmengine's ``load_checkpoint``
    (default ``revise_keys``) hands to the model, from any of the three layouts."""
    from collections import OrderedDict

    from mmengine.runner.checkpoint import _load_checkpoint_to_model
    from torch import nn

    from dpt.utils.state_dict import checkpoint_state, revise_state_dict

    net = nn.Sequential(nn.Linear(2, 3))
    sd = OrderedDict((f'module.{k}', v + 1) for k, v in net.state_dict().items())
    for ckpt in (sd, {'state_dict': sd, 'meta': {}}, {'model': sd, 'epoch': 1}):
        out = checkpoint_state(ckpt, 'x.pth')
        assert list(out) == ['0.weight', '0.bias']
        ref = nn.Sequential(nn.Linear(2, 3))
        _load_checkpoint_to_model(ref, {'state_dict': sd}, strict=True)
        assert all(torch.equal(out[k], v) for k, v in ref.state_dict().items())
    assert list(checkpoint_state({'module.module.a': torch.ones(1)})) == ['module.a']
    assert list(checkpoint_state({'module.a': torch.ones(1)}, revise_keys=())) == ['module.a']
    mixed = {'module.a': torch.ones(1), 'module.n': 3}
    assert list(revise_state_dict(mixed, tensors_only=False)) == ['a', 'n']


def test_load_weights_file_reads_torch_and_safetensors(tmp_path):
    import argparse

    from safetensors.torch import save_file

    from dpt.utils.state_dict import load_weights_file

    sd = {'a.weight': torch.arange(4.0)}
    torch.save({'model': sd, 'args': argparse.Namespace(lr=1)}, tmp_path / 'x.pth')
    assert torch.equal(load_weights_file(tmp_path / 'x.pth')['model']['a.weight'], sd['a.weight'])
    save_file(sd, str(tmp_path / 'x.safetensors'))
    assert torch.equal(load_weights_file(tmp_path / 'x.safetensors')['a.weight'], sd['a.weight'])
    (tmp_path / 'bad.safetensors').write_bytes(b'nope')
    with pytest.raises(CheckpointError, match='bad.safetensors: not a readable safetensors'):
        load_weights_file(tmp_path / 'bad.safetensors')
    with pytest.raises(CheckpointError, match='gone.safetensors: checkpoint file not found'):
        load_weights_file(tmp_path / 'gone.safetensors')
