"""Every AlignDet pre-train config of R-CNN, RetinaNet and FCOS builds and states the recipe
(Li et al., ICCV 2023; liming-ai/AlignDet configs/selfsup)."""

import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# the class-agnostic detectors (the DETR configs, pre-trained on proposal clusters, have
# their own tests in test_detr.py)
CONFIGS = sorted(
    p
    for p in glob.glob(os.path.join(ROOT, 'configs', 'aligndet', '*_aligndet-pretrain_*.py'))
    if os.path.basename(p).startswith(('faster-rcnn', 'mask-rcnn', 'retinanet', 'fcos'))
)
FULL = [p for p in CONFIGS if p.endswith('_1x_coco.py')]
TINY = [p for p in CONFIGS if p.endswith('_tiny_demo.py')]


def _name(path):
    return os.path.basename(path)[:-3]


def _types(cfg):
    """Every `type` in a nested config."""
    if isinstance(cfg, dict):
        return [cfg['type']] * ('type' in cfg) + [t for v in cfg.values() for t in _types(v)]
    if isinstance(cfg, (list, tuple)):
        return [t for v in cfg for t in _types(v)]
    return []


def _load(path):
    from mmengine.config import Config

    return Config.fromfile(path)


def test_configs_found():
    names = {_name(p) for p in CONFIGS}
    for det in ('faster-rcnn', 'mask-rcnn', 'retinanet', 'fcos'):
        assert f'{det}_r50_fpn_aligndet-pretrain_1x_coco' in names
        assert f'{det}_aligndet-pretrain_tiny_demo' in names


@pytest.mark.parametrize('path', CONFIGS, ids=_name)
def test_config_builds(path):
    from mmdet.registry import DATASETS, MODELS

    from dpt.models.aligndet import BoxDomainPretrainer

    cfg = _load(path)
    assert 'dpt' in cfg.custom_imports['imports'] and cfg.runner_type == 'DptRunner'
    model = MODELS.build(cfg.model)
    assert isinstance(model, BoxDomainPretrainer)
    assert dict(type='TargetMomentumHook') in cfg.custom_hooks
    # the whole backbone frozen, BN statistics included
    backbone = cfg.model.detector.backbone
    assert backbone.frozen_stages == 4 and backbone.norm_eval
    assert backbone.norm_cfg.requires_grad is False
    # proposals: one class; two views made by MultiBranch with the model's view names; no
    # transform that may drop or reorder boxes
    dataset = cfg.train_dataloader.dataset
    assert DATASETS.get(dataset.type) is not None
    assert tuple(dataset.metainfo.classes) == ('selective_search',)
    assert dataset.pipeline[-1].type == 'MultiBranch'
    assert list(dataset.pipeline[-1].branch_field) == list(model.views)
    forbidden = {
        'RandomCrop',
        'RandomCenterCropPad',
        'MinIoURandomCrop',
        'FilterAnnotations',
        'RandomAffine',
        'Mosaic',
        'MixUp',
        'CopyPaste',
        'RandomErasing',
    }
    assert not forbidden & set(_types(dataset.pipeline))
    # a pre-trainer cannot be evaluated: validation never starts
    assert cfg.train_cfg.val_begin > cfg.train_cfg.max_epochs


@pytest.mark.parametrize('path', FULL, ids=_name)
def test_coco_recipe(path):
    cfg = _load(path)
    det = _name(path).split('_')[0]
    dense = det in ('retinanet', 'fcos')
    model = cfg.model
    assert model.momentum == 0.996
    assert model.get('loss_contrast') is None  # the default: InfoNCE, temperature 0.5
    assert model.detector.backbone.depth == 50 and model.detector.backbone.style == 'pytorch'
    assert model.detector.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='checkpoints/resnet50_backbone.pth'
    )
    # 12 epochs of SGD at 16 images (8 GPUs x 2), lr 0.02 (RetinaNet / FCOS 0.01), wd 1e-4
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.optim_wrapper.optimizer == dict(
        type='SGD', lr=0.01 if dense else 0.02, momentum=0.9, weight_decay=1e-4
    )
    assert cfg.auto_scale_lr.base_batch_size == 16 and cfg.train_dataloader.batch_size == 2
    dataset = cfg.train_dataloader.dataset
    assert dataset.data_root == 'data/coco/'
    assert dataset.ann_file == 'annotations/train2017_ratio3size0008@0.5.json'
    view = dataset.pipeline[-1].online
    assert view[0].scales == [(1333, s) for s in range(640, 801, 32)]
    assert view[1] == dict(type='RandomFlip', prob=0.5)
    assert view[2] == dict(type='PadKeepingImgShape', size_divisor=32)
    assert view[3] == dict(type='RandomColorOp')  # AlignDet's nine ops (color_ops.py)

    train_cfg = model.detector.get('train_cfg')
    if det in ('faster-rcnn', 'mask-rcnn'):
        assert train_cfg.rpn.sampler.num == 4096
        sampler = train_cfg.rcnn.sampler
        assert (
            sampler.num,
            sampler.pos_fraction,
            sampler.neg_pos_ub,
            sampler.add_gt_as_proposals,
        ) == (4096, 1.0, 0, True)
        assert train_cfg.rcnn.assigner.pos_iou_thr == 0.5
        assert model.detector.roi_head.get('mask_head') is None  # as AlignDet
        # AlignDet's 4conv1fc box head without norm, 256 classes (= embedding width, one
        # regression output per instance id), regression by instance
        head = model.detector.roi_head.bbox_head
        assert (head.type, head.norm_cfg, head.num_classes, head.reg_class_agnostic) == (
            'Shared4Conv1FCBBoxHead',
            None,
            256,
            False,
        )
        assert (head.conv_out_channels, head.fc_out_channels) == (256, 1024)
        assert model.detector.roi_head.get('regress_by_instance', True)
    elif det == 'retinanet':
        assert train_cfg.sampler.num == 2048 and train_cfg.sampler.pos_fraction == 1.0
        assert dict(type='KeepFirstProposals', num=50) in dataset.pipeline
    else:
        assert model.detector.bbox_head.num_samples == 2048
        assert model.detector.bbox_head.loss_bbox.type == 'IoULoss'


@pytest.mark.parametrize('path', TINY, ids=_name)
def test_tiny_variant(path):
    cfg = _load(path)
    assert cfg.model.detector.backbone.depth == 18
    assert cfg.model.detector.backbone.init_cfg is None  # nothing to download or load
    dataset = cfg.train_dataloader.dataset
    assert dataset.data_root == 'data/demo/' and dataset.data_prefix.img == 'train/'
    assert dataset.ann_file == cfg.proposal_file
    assert cfg.val_dataloader.dataset.data_root == 'data/demo/'
    scales = dataset.pipeline[-1].online[0].scales
    assert min(s for _, s in scales) == 128 and max(s for _, s in scales) == 160
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=cfg.train_dataloader.batch_size)
