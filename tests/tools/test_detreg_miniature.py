"""The DETReg miniature: its configs, split, options and the two fine-tune inits; the
training stages themselves are tools/analysis_tools/stages.py, tested with the demo."""

import json
import os
import shutil

import torch
from _cli import load_tool

load_tool('tools/analysis_tools/miniature.py')  # for `from miniature import` below

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool():
    return load_tool('tools/analysis_tools/detreg_miniature.py')


def test_configs_and_options_fit_together(tmp_path):
    """The demo classifier (timm ResNet-18, quarter width, 64-channel stem), converted, loads
    into the pre-training's backbone and region encoder and into the fine-tuning backbone."""
    import timm
    from miniature import CLASSIFIER_KWARGS, merged_config
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from dpt.weights import convert_backbone

    register_all_modules()
    tool = _tool()
    net = timm.create_model('resnet18', num_classes=6, **CLASSIFIER_KWARGS)
    torch.save(net.state_dict(), tmp_path / 'classifier.pth')
    convert_backbone(tmp_path / 'classifier.pth', tmp_path / 'backbone.pth')
    supervised = dict(
        backbone=str(tmp_path / 'backbone.pth'), classifier=str(tmp_path / 'classifier.pth')
    )
    pre = merged_config(tool.PRETRAIN, tool.pretrain_options(supervised))
    assert pre.model.backbone.init_cfg == dict(type='Pretrained', checkpoint=supervised['backbone'])
    assert pre.model.region_encoder.checkpoint == supervised['classifier']
    assert pre.model.freeze_backbone and pre.model.backbone.stem_channels == 64
    model = MODELS.build(pre.model)
    model.init_weights()
    assert torch.equal(model.backbone.layer3[0].conv1.weight, net.layer3[0].conv1.weight)
    assert torch.equal(
        model.region_encoder.backbone.layer2[1].conv2.weight, net.layer2[1].conv2.weight
    )
    fine = merged_config(tool.FINETUNE, tool.finetune_options(supervised))
    assert fine.model.backbone.stem_channels == 64
    assert fine.train_dataloader.dataset.ann_file == tool.SPLIT
    assert fine.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    assert fine.model.backbone.depth == pre.model.backbone.depth == 18


def test_prepare_writes_the_seeded_split(demo_data_root, tmp_path):
    tool = _tool()
    root = str(tmp_path / 'demo')
    shutil.copytree(demo_data_root, root)
    tool.prepare(root)
    with open(os.path.join(root, tool.SPLIT)) as f:
        assert len(json.load(f)['images']) == 2  # round(10 % of 16 images), as DETReg


def test_fine_tune_inits(tmp_path):
    """Arm A gets the (frozen, hence the classifier's) backbone alone, arm B DETReg's
    hand-over: no class branches, embedding branch or region encoder."""
    from miniature import merged_config
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    register_all_modules()
    tool = _tool()
    model = MODELS.build(merged_config(tool.PRETRAIN).model)
    (tmp_path / 'pretrain').mkdir()
    ckpt = str(tmp_path / 'pretrain' / 'epoch_12.pth')
    torch.save({'state_dict': model.state_dict()}, ckpt)
    record = dict(checkpoint=ckpt)
    a = torch.load(tool._extract(record, str(tmp_path), 'backbone'))['state_dict']
    b = torch.load(tool._extract(record, str(tmp_path), 'detreg_finetune'))['state_dict']
    assert a and all(k.startswith('backbone.') for k in a)
    assert set(a) < set(b) and any(k.startswith('bbox_head.reg_branches') for k in b)
    assert not any(
        ('cls_branches' in k or 'feature_embed' in k or 'region_encoder' in k) for k in b
    )
