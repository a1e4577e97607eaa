"""Backbone import: each code base's checkpoint layout becomes an mmdet ResNet state dict that
loads with no missing key, with the same tensors, through a plain and a Pretrained load."""

import argparse
import os

import pytest
import torch

from dpt.utils.checkpoint import load_checkpoint_file
from dpt.utils.errors import CheckpointError
from dpt.weights.backbone import convert_backbone, import_backbone

NUM_RESNET18 = 120  # tensors of mmdet's / torchvision's ResNet-18 without the classifier


@pytest.fixture(scope='module')
def resnet18():
    """A torchvision ResNet-18 with random weights and distinct BN statistics."""
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    state = model.state_dict()
    for key, value in state.items():
        if key.endswith(('running_mean', 'running_var')):
            value.uniform_(0.5, 1.5)
        elif key.endswith('num_batches_tracked'):
            value.fill_(7)
    return state


def backbone(state):
    return {k: v for k, v in state.items() if not k.startswith('fc.')}


def prefixed(prefix, state):
    return {prefix + k: v for k, v in state.items()}


def mlp(prefix, dims=(8, 8)):
    return {f'{prefix}0.weight': torch.randn(*dims), f'{prefix}2.weight': torch.randn(*dims)}


# Each code base's checkpoint around a ResNet-18 state dict, as its training script saves it
# (module. from DistributedDataParallel where the script saves the wrapped model).
LAYOUTS = {
    'moco': lambda sd: {  # facebookresearch/moco main_moco.py save_checkpoint
        'epoch': 200,
        'arch': 'resnet18',
        'optimizer': {'state': {}, 'param_groups': []},
        'state_dict': {
            **prefixed('module.encoder_q.', backbone(sd)),
            **mlp('module.encoder_q.fc.'),
            **prefixed('module.encoder_k.', sd),
            'module.queue': torch.randn(8, 16),
            'module.queue_ptr': torch.zeros(1, dtype=torch.long),
        },
    },
    'swav': lambda sd: {  # the published swav_800ep_pretrain.pth.tar: a bare state dict
        **prefixed('module.', backbone(sd)),
        **mlp('module.projection_head.'),
        'module.prototypes.weight': torch.randn(30, 8),
    },
    'swav-training': lambda sd: {'epoch': 3, 'state_dict': LAYOUTS['swav'](sd)},
    'densecl': lambda sd: {  # OpenSelfSup: encoder_q = Sequential(backbone, neck), backbone alias
        'meta': {'epoch': 200},
        'state_dict': {
            **prefixed('encoder_q.0.', backbone(sd)),
            **mlp('encoder_q.1.mlp.'),
            **prefixed('encoder_k.0.', backbone(sd)),
            **mlp('encoder_k.1.mlp.'),
            **prefixed('backbone.', backbone(sd)),
            'queue': torch.randn(8, 16),
            'queue_ptr': torch.zeros(1),
            'queue2': torch.randn(8, 16),
            'queue2_ptr': torch.zeros(1),
        },
    },
    'densecl-ddp': lambda sd: {
        'state_dict': prefixed('module.', LAYOUTS['densecl'](sd)['state_dict'])
    },
    'densecl-released': lambda sd: {'state_dict': backbone(sd), 'author': 'DenseCL'},
    'pixpro': lambda sd: {  # main_pretrain.py: its options are an argparse.Namespace
        'opt': argparse.Namespace(arch='resnet18', amp_opt_level='O1'),
        'epoch': 100,
        'model': {
            **prefixed('module.encoder.', backbone(sd)),
            **prefixed('module.encoder_k.', backbone(sd)),
            **mlp('module.projector.'),
            **mlp('module.projector_k.'),
            **mlp('module.value_transform.'),
        },
    },
    'torchvision': lambda sd: sd,
    'mmselfsup': lambda sd: {  # mmselfsup 1.x / mmpretrain MoCoV2
        'meta': {'mmengine_version': '0.10.7'},
        'state_dict': {
            **prefixed('backbone.', backbone(sd)),
            **mlp('neck.mlp.'),
            **prefixed('momentum_encoder.module.0.', backbone(sd)),
            'queue': torch.randn(8, 16),
        },
    },
}
EXPECTED = {
    'moco': 'moco',
    'swav': 'swav',
    'swav-training': 'swav',
    'densecl': 'densecl',
    'densecl-ddp': 'densecl',
    'densecl-released': 'torchvision',
    'pixpro': 'pixpro',
    'torchvision': 'torchvision',
    'mmselfsup': 'mmselfsup',
}


def mmdet_resnet(depth=18, **kwargs):
    from mmdet.models.backbones import ResNet

    return ResNet(depth=depth, **kwargs)


def assert_same(state, reference):
    for key, value in state.items():
        if not key.endswith('num_batches_tracked'):
            assert torch.equal(value, reference[key]), key


@pytest.mark.parametrize('layout', sorted(LAYOUTS))
def test_layout_converts_and_loads_strictly(layout, resnet18, tmp_path):
    src, out = tmp_path / f'{layout}.pth', tmp_path / 'out' / 'r18.pth'
    torch.save(LAYOUTS[layout](resnet18), src)
    result = convert_backbone(src, out)
    assert result.format == EXPECTED[layout] and result.depth == 18
    assert not result.unexpected and not result.missing and not result.mismatched

    ckpt = load_checkpoint_file(out)
    assert ckpt['meta']['format'] == EXPECTED[layout] and set(ckpt) == {'state_dict', 'meta'}
    model = mmdet_resnet()
    model.load_state_dict(ckpt['state_dict'], strict=True)
    assert_same(model.state_dict(), resnet18)
    summary = result.summary()
    assert f'{NUM_RESNET18} of ResNet-18\'s {NUM_RESNET18}' in summary
    if layout == 'moco':
        assert 'projection head 2' in summary and 'momentum encoder 122' in summary
        assert "under 'module.encoder_q.'" in summary
    if layout == 'densecl':  # the backbone alias holds the same tensors: dropped, named
        assert "alias of encoder_q.0" in summary


def test_timm_resnet_and_safetensors(tmp_path):
    """timm's ResNets use torchvision's key names; timm's hub files are .safetensors."""
    import timm
    from safetensors.torch import save_file

    torch.manual_seed(1)
    state = timm.create_model('resnet18', pretrained=False).state_dict()
    src = tmp_path / 'model.safetensors'
    save_file({k: v.contiguous() for k, v in state.items()}, str(src))
    result = convert_backbone(src, tmp_path / 'r18.pth', fmt='timm')
    assert result.format == 'timm'
    assert sorted(result.dropped['classifier']) == ['fc.bias', 'fc.weight']
    model = mmdet_resnet()
    model.load_state_dict(load_checkpoint_file(tmp_path / 'r18.pth')['state_dict'], strict=True)
    assert_same(model.state_dict(), state)


def test_pretrained_init_cfg_loads_every_tensor(resnet18, tmp_path):
    """What a config does with the output: backbone.init_cfg=dict(type='Pretrained', ...)."""
    out = tmp_path / 'r18.pth'
    convert_backbone_from(LAYOUTS['moco'](resnet18), tmp_path, out)
    model = mmdet_resnet(init_cfg=dict(type='Pretrained', checkpoint=str(out)))
    model.init_weights()
    assert_same(model.state_dict(), resnet18)


def convert_backbone_from(checkpoint, tmp_path, out, **kwargs):
    src = tmp_path / 'src.pth'
    torch.save(checkpoint, src)
    return convert_backbone(src, out, **kwargs)


def test_resnet50_and_missing_bn_counters():
    """ResNet-50 (bottleneck blocks) converts; old checkpoints without num_batches_tracked
    get the counters, so the output still loads strictly."""
    import torchvision

    state = {
        k: v
        for k, v in torchvision.models.resnet50().state_dict().items()
        if not k.endswith('num_batches_tracked')
    }
    result = import_backbone({'state_dict': prefixed('module.encoder_q.', state)}, 'r50.pth')
    assert result.depth == 50 and len(result.filled) == 53
    mmdet_resnet(50).load_state_dict(result.state, strict=True)
    assert '53 num_batches_tracked counters added' in result.summary()


def test_refusals(resnet18):
    with pytest.raises(CheckpointError, match=r'^vit\.pth: no ResNet of a known layout'):
        import_backbone({'state_dict': {'blocks.0.attn.qkv.weight': torch.zeros(3)}}, 'vit.pth')
    # a ResNet-18 asked for as ResNet-50: most of ResNet-50 missing
    with pytest.raises(CheckpointError, match=r"^r18\.pth: only \d+ of ResNet-50's 265"):
        import_backbone(resnet18, 'r18.pth', depth=50)
    # a ResNet-50 asked for as ResNet-18: blocks ResNet-18 does not have
    import torchvision

    r50 = torchvision.models.resnet50().state_dict()
    with pytest.raises(CheckpointError, match=r'^r50\.pth: has ResNet blocks .* pass depth=50$'):
        import_backbone(r50, 'r50.pth', depth=18)
    # a forced format that does not fit the checkpoint
    with pytest.raises(CheckpointError, match=r"^r18\.pth: cannot tell the ResNet depth"):
        import_backbone(resnet18, 'r18.pth', fmt='pixpro')
    with pytest.raises(CheckpointError, match=r"^r18\.pth: nothing maps to a ResNet-18"):
        import_backbone(resnet18, 'r18.pth', fmt='pixpro', depth=18)
    # a partial backbone passes only with a lower --min-fit
    partial = {k: v for k, v in resnet18.items() if not k.startswith('layer4.')}
    with pytest.raises(CheckpointError, match="only 75 of ResNet-18's 100 tensors"):
        import_backbone(partial, 'part.pth', depth=18)
    result = import_backbone(partial, 'part.pth', depth=18, min_fit=0.5)
    assert 'missing     25: layer4.0.conv1.weight' in result.summary()


def load_tool(root, path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], os.path.join(root, path)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli(resnet18, tmp_path, capsys, repo_root):
    main = load_tool(repo_root, 'tools/model_converters/convert_backbone.py').main
    src, out = tmp_path / 'moco.pth', tmp_path / 'r18.pth'
    torch.save(LAYOUTS['moco'](resnet18), src)
    main([str(src), str(out)])
    printed = capsys.readouterr().out
    assert 'MoCo v1 / v2 checkpoint' in printed and f'wrote {out}' in printed
    torch.save({'state_dict': {'x': torch.zeros(1)}}, src)
    with pytest.raises(SystemExit) as info:
        main([str(src), str(out), '--depth', '18'])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f'convert_backbone: error: {src}: ')
    # the library's parameters (fmt=, depth=) named as the tool's flags
    from dpt.weights.backbone import FORMATS

    assert err[0].endswith(f'; name the format with --format ({", ".join(FORMATS)})'), err
    torch.save(LAYOUTS['moco'](resnet18), src)
    for argv, message in (
        (['--depth', '7'], ': --depth 7: mmdet has ResNets of depth 18, 34, 50, 101, 152'),
        (['--format', 'pixpro'], "keys under 'encoder.' (pixpro format); pass --depth"),
    ):
        with pytest.raises(SystemExit):
            main([str(src), str(out), *argv])
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].endswith(message), err


def test_narrow_timm_classifier_converts(tmp_path):
    """A timm ResNet-18 at a quarter width (the demo classifier; timm's plain stem keeps 64
    channels) becomes mmdet's ResNet(depth=18, base_channels=16, stem_channels=64): every
    tensor, strictly; its fc is reported dropped."""
    import timm
    from mmdet.models.backbones import ResNet

    from dpt.weights import convert_backbone

    net = timm.create_model('resnet18', num_classes=6, channels=(16, 32, 64, 128), stem_width=16)
    torch.save(net.state_dict(), tmp_path / 'cls.pth')
    result = convert_backbone(tmp_path / 'cls.pth', tmp_path / 'backbone.pth')
    assert (result.depth, result.base_channels, result.stem_channels) == (18, 16, 64)
    assert 'ResNet-18 (base_channels=16, stem_channels=64)' in result.summary()
    assert 'classifier 2 (fc.weight, fc.bias)' in result.summary()
    backbone = ResNet(depth=18, base_channels=16, stem_channels=64)
    backbone.load_state_dict(torch.load(tmp_path / 'backbone.pth')['state_dict'])
    assert torch.equal(backbone.layer4[1].conv2.weight, net.layer4[1].conv2.weight)
