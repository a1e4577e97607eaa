"""AlignDet fine-tune configs: every one builds, states the recipe (SyncBN, lr x1.5, wd x0.5,
12k iterations for VOC and COCO 1 / 5 / 10 %), and loads what the extraction tool writes."""

import functools
import glob
import os

import pytest
import torch
from mmengine.config import Config

from dpt.datasets.splits import split_names
from dpt.weights.detector import ALIGNDET_OUT

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALIGNDET = os.path.join(ROOT, 'configs', 'aligndet')
CONFIGS = sorted(
    p
    for p in glob.glob(os.path.join(ALIGNDET, '*_aligndet-finetune_*.py'))
    # the tiny demo: tests/tools/test_aligndet_miniature.py
    if not p.endswith('_tiny_demo.py')
)
# lr and weight decay: 1.5x and 0.5x of mmdet's (AlignDet README, released run names)
SGD = {
    'faster-rcnn_r50_fpn': 0.03,
    'mask-rcnn_r50_fpn': 0.03,
    'retinanet_r50_fpn': 0.015,
    'fcos_r50_fpn': 0.015,
}
VOC = ('faster-rcnn_r50_fpn', 'retinanet_r50_fpn', 'fcos_r50_fpn')


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401


@functools.lru_cache(maxsize=None)
def cfg_of(name):
    return Config.fromfile(os.path.join(ALIGNDET, name))


def test_the_configs_there_are():
    names = {os.path.basename(p) for p in CONFIGS}
    expected = {f'{det}_aligndet-finetune_1x_coco.py' for det in SGD}
    expected |= {f'{det}_aligndet-finetune_12k_coco-{p}pct.py' for det in SGD for p in (1, 5, 10)}
    expected |= {f'{det}_aligndet-finetune_12k_voc0712.py' for det in VOC}
    expected |= {f'detr_r50_aligndet-finetune_{e}_coco.py' for e in ('150e', '50e')}
    assert names == expected


@pytest.mark.parametrize('path', CONFIGS, ids=os.path.basename)
def test_recipe(path):
    name = os.path.basename(path)
    cfg = cfg_of(name)
    det = name.split('_aligndet')[0]
    # dpt's runtime (plugin, DptRunner), no ImageNet download, the extracted detector
    assert cfg.runner_type == 'DptRunner' and 'dpt' in cfg.custom_imports.imports
    backbone = cfg.model.backbone
    assert backbone.init_cfg is None
    assert backbone.norm_cfg == dict(type='SyncBN', requires_grad=True)
    pretrain = f'{det}_aligndet-pretrain_{"50e" if det == "detr_r50" else "1x"}_coco'
    assert cfg.load_from == f'work_dirs/{pretrain}/{ALIGNDET_OUT}'
    optim = cfg.optim_wrapper.optimizer
    if det == 'detr_r50':  # DETR's own AdamW rates; the whole backbone trained
        assert (optim.type, optim.lr, optim.weight_decay) == ('AdamW', 1e-4, 1e-4)
        assert backbone.frozen_stages == -1 and backbone.norm_eval is False
        epochs = 150 if '150e' in name else 50
        assert cfg.train_cfg.max_epochs == epochs
        assert cfg.param_scheduler[-1].milestones == [100 if epochs == 150 else 40]
        return
    assert cfg.model.neck.norm_cfg == dict(type='SyncBN', requires_grad=True)
    assert (optim.type, optim.lr, optim.weight_decay) == ('SGD', SGD[det], 5e-5)
    if 'rcnn' in det:  # AlignDet's fine-tune box head: 4 shared convs without norm, 1 fc
        head = cfg.model.roi_head.bbox_head
        assert (head.type, head.norm_cfg, head.conv_out_channels, head.fc_out_channels) == (
            'Shared4Conv1FCBBoxHead',
            None,
            256,
            1024,
        )
    if det == 'fcos_r50_fpn':  # pytorch-style ResNet on mean/std-normalised RGB
        assert backbone.style == 'pytorch' and cfg.model.data_preprocessor.bgr_to_rgb
    if '_1x_coco' in name:
        assert cfg.train_cfg.max_epochs == 12
        assert cfg.train_dataloader.dataset.ann_file == 'annotations/instances_train2017.json'
        return
    # VOC07+12 and COCO 1 / 5 / 10 %: 12k iterations, steps at 9k and 11k
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=12000, val_interval=12000)
    steps = cfg.param_scheduler[-1]
    assert steps.by_epoch is False and steps.milestones == [9000, 11000]
    assert cfg.default_hooks.checkpoint.by_epoch is False and cfg.log_processor.by_epoch is False
    if 'voc0712' in name:
        voc = cfg.train_dataloader.dataset.dataset.datasets
        assert [d.ann_file for d in voc] == [
            'VOC2007/ImageSets/Main/trainval.txt',
            'VOC2012/ImageSets/Main/trainval.txt',
        ]
        assert all(d.type == 'VOCDataset' for d in voc)
        resize = voc[0].pipeline[2]
        assert resize.type == 'RandomChoiceResize' and len(resize.scales) == 11
        assert cfg.val_dataloader.dataset.ann_file == 'VOC2007/ImageSets/Main/test.txt'
        assert cfg.val_evaluator.type == 'VOCMetric'
    else:  # the split files tools/misc/make_semi_splits.py writes (fold 1)
        percent = int(name.rsplit('-', 1)[1].split('pct')[0])
        labelled = split_names('instances_train2017', percent, fold=1)[0]
        assert cfg.train_dataloader.dataset.ann_file == f'semi_anns/{labelled}'
        assert cfg.train_dataloader.dataset.data_root == 'data/coco/'
        # the same model and optimizer as the 1x fine-tuning
        coco = cfg_of(f'{det}_aligndet-finetune_1x_coco.py')
        assert cfg.model == coco.model and cfg.load_from == coco.load_from


def build(cfg):
    from mmdet.registry import MODELS

    return MODELS.build(cfg.model)


# one config per distinct model (the COCO 1 / 5 / 10 % configs share the 1x one's model)
MODELS_TO_BUILD = [p for p in CONFIGS if '_coco-' not in p]


@pytest.mark.parametrize('path', MODELS_TO_BUILD, ids=os.path.basename)
def test_model_builds(path):
    model = build(cfg_of(os.path.basename(path)))
    assert any(isinstance(m, torch.nn.SyncBatchNorm) for m in model.backbone.modules())
    if 'voc0712' in path:
        head = model.roi_head.bbox_head if hasattr(model, 'roi_head') else model.bbox_head
        assert head.num_classes == 20


def test_pretrained_detector_loads_into_finetuning(tmp_path):
    """The pre-trained Faster R-CNN (BN-free FPN, the 4conv1fc box head) into the SyncBN
    fine-tuning model: all but the output layers load, the box head's shared convs and fc
    included; the FPN's conv biases are unused and its new norm layers start fresh, as
    AlignDet notes in its extract_detector_weights.py."""
    from dpt.utils.state_dict import compare_state_dicts
    from dpt.weights import extract_detector

    torch.manual_seed(0)
    pretrained = build(
        Config.fromfile(os.path.join(ALIGNDET, 'faster-rcnn_r50_fpn_aligndet-pretrain_1x_coco.py'))
    )
    weights = extract_detector({'state_dict': pretrained.state_dict()}, 'epoch_12.pth')
    assert any(k.startswith('roi_head.bbox_head.shared_convs.3.') for k in weights.state)
    finetune = build(cfg_of('faster-rcnn_r50_fpn_aligndet-finetune_1x_coco.py'))
    report = compare_state_dicts(weights.state, finetune.state_dict())
    assert not report.shape_mismatch
    missing = {k.rsplit('.', 1)[0] for k in report.missing}
    assert {m for m in missing if not m.startswith('neck.')} == {
        'roi_head.bbox_head.fc_cls',
        'roi_head.bbox_head.fc_reg',
    }
    assert all(m.endswith('.bn') for m in missing if m.startswith('neck.'))
    assert report.unexpected and all(
        k.startswith('neck.') and k.endswith('conv.bias') for k in report.unexpected
    )
    assert not any(k.startswith('backbone.') for k in report.missing)
    assert report.fit_fraction > 0.9
