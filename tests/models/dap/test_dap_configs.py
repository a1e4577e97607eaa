"""configs/dap/ hold DAP's yaml values (mikuhatsune/dap configs/imagenet1k/*.yaml and
maskrcnn-benchmark's defaults; docs/dap.md, "dpt and the original, side by side")."""

import os

from mmengine.config import Config

import dpt  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _cfg(name):
    return Config.fromfile(os.path.join(ROOT, 'configs', 'dap', name))


def _msra(cfg):
    bb, pre = cfg.model.backbone, cfg.model.data_preprocessor
    assert bb.init_cfg.checkpoint == 'open-mmlab://detectron2/resnet50_caffe'
    assert bb.style == 'caffe' and bb.norm_cfg.requires_grad is False and bb.frozen_stages == 1
    assert pre.mean == [103.530, 116.280, 123.675] and pre.std == [1.0, 1.0, 1.0]
    assert pre.bgr_to_rgb is False and pre.pad_size_divisor == 32


def test_pretrain_is_dap_in1k_yaml():
    cfg = _cfg('faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet.py')
    _msra(cfg)  # MODEL.WEIGHT catalog://ImageNetPretrained/MSRA/R-50
    assert cfg.model.roi_head.bbox_head.num_classes == 1000  # NUM_CLASSES 1001
    assert cfg.train_dataloader.batch_size * 8 == 64 and cfg.optim_wrapper.optimizer.lr == 0.008
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-4
    warm, rest = cfg.param_scheduler
    assert (warm.type, warm.start_factor, warm.end) == ('LinearLR', 0.01, 2000)
    assert rest.type == 'ConstantLR' and cfg.train_cfg.max_iters == 1281167 // 64
    resize = cfg.train_pipeline[2]
    assert resize.scales == [(1333, s) for s in (96, 160, 320, 640)]
    assert cfg.train_dataloader.dataset.ann_file.endswith('_nms0.8.json')


def test_classifier_init_variant():
    cfg = _cfg('faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet_classifier-init.py')
    bb = cfg.model.backbone
    assert bb.style == 'pytorch' and bb.init_cfg.checkpoint == cfg.classifier_backbone
    assert cfg.model.data_preprocessor.bgr_to_rgb is True
    assert cfg.param_scheduler[0].start_factor == 0.01  # the rest is the pre-training's


def test_transfer_schedules():
    coco = _cfg('faster-rcnn_r50_fpn_dap-finetune_1x_coco.py')
    _msra(coco)
    assert coco.train_cfg.max_iters == 90000 and coco.optim_wrapper.optimizer.lr == 0.02
    warm, steps = coco.param_scheduler
    assert (warm.start_factor, warm.end) == (1.0 / 3, 500) and steps.milestones == [60000, 80000]
    voc = _cfg('faster-rcnn_r50_fpn_dap-finetune_14e_voc0712.py')
    _msra(voc)
    assert voc.train_cfg.max_epochs == 14 and voc.param_scheduler[1].milestones == [10]
    assert voc.optim_wrapper.optimizer.lr == 0.01 and voc.scale == (1066, 640)
    assert voc.param_scheduler[0].start_factor == 1.0 / 3
