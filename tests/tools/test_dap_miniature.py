"""The DAP miniature: its configs and options fit the classifier, and the quality table."""

import os

import torch
from _cli import load_tool

load_tool('tools/analysis_tools/miniature.py')  # for `from miniature import` below

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool():
    return load_tool('tools/analysis_tools/dap_miniature.py')


def test_classifier_backbone_loads_into_both_configs(tmp_path):
    import timm
    from miniature import CLASSIFIER_KWARGS, backbone_options, merged_config
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules

    from dpt.weights import convert_backbone

    register_all_modules()
    tool = _tool()
    net = timm.create_model('resnet18', num_classes=6, **CLASSIFIER_KWARGS)
    torch.save(net.state_dict(), tmp_path / 'classifier.pth')
    convert_backbone(tmp_path / 'classifier.pth', tmp_path / 'backbone.pth')
    for config in (tool.PRETRAIN, tool.FINETUNE):
        cfg = merged_config(config, backbone_options(str(tmp_path / 'backbone.pth')))
        model = MODELS.build(cfg.model)
        model.init_weights()
        assert torch.equal(model.backbone.layer4[0].conv1.weight, net.layer4[0].conv1.weight)
    fine = merged_config(tool.FINETUNE, ['load_from=None'])
    assert fine.load_from is None and fine.train_dataloader.dataset.ann_file == tool.SPLIT
    pre = merged_config(tool.PRETRAIN)
    assert pre.train_dataloader.dataset.ann_file == tool.CAM_PREFIX + '_nms0.8.json'


def test_quality_table():
    tool = _tool()
    text = tool.format_quality([('DAP boxes, NMS 0.8', 10, 1.5, 0.5, 0.25)])
    assert text.splitlines()[2] == '| DAP boxes, NMS 0.8 | 10 | 1.50 | 50.0 % | 25.0 % |'
