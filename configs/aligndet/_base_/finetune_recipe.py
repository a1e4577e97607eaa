# AlignDet fine-tuning (Li et al., ICCV 2023; liming-ai/AlignDet README "Fine-tuning" and its
# configs/{coco,voc,semi-coco}), the shared pieces under `aligndet_` names, picked by each
# fine-tune config (mmengine forbids the same key in two bases):
#     _base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py', './_base_/finetune_recipe.py']
#     model = dict(backbone=_base_.aligndet_backbone, neck=_base_.aligndet_neck)
# The whole detector comes from `load_from`: the pre-training's online detector without its
# output layers (tools/model_converters/extract_detector_weights.py, docs/weights.md). Every
# config states its lr and weight decay: 1.5x the lr and 0.5x the weight decay of the
# detector's usual recipe (README: "usually the learning rate is increased by 1.5 times, and
# the weight decay is reduced to half"), e.g. Mask R-CNN lr 0.03, wd 5e-5.

# SyncBN in backbone and neck (AlignDet's fine-tune configs: "SyncBN is used by default"); the
# FPN convs lose their bias (a norm follows them), so the pre-trained FPN biases are left
# unused and its BN layers start fresh. One process turns SyncBN back into BN (mmengine).
aligndet_norm_cfg = dict(type='SyncBN', requires_grad=True)
# no ImageNet init: load_from replaces every backbone weight (and nothing is downloaded)
aligndet_backbone = dict(norm_cfg=aligndet_norm_cfg, init_cfg=None)
aligndet_neck = dict(norm_cfg=aligndet_norm_cfg)

# VOC07+12 and COCO 1 / 5 / 10 % labels: 12k iterations at batch 16, steps at 9k and 11k,
# linear warm-up over 500 iterations (AlignDet's configs/_base_/schedules/schedule_12k.py)
aligndet_12k_train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=12000, val_interval=12000
)
aligndet_12k_param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR', by_epoch=False, begin=0, end=12000, milestones=[9000, 11000], gamma=0.1
    ),
]
# checkpoints every 2k iterations, so that --resume loses little of an interrupted job
aligndet_12k_default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=2)
)
aligndet_12k_log_processor = dict(by_epoch=False)

# VOC07+12: multi-scale training, short side 480-800 in steps of 32 (max 1333), tested at
# 1333x800 (AlignDet's configs/_base_/datasets/voc0712.py, from mmselfsup's VOC benchmark)
aligndet_voc_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize', scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True
    ),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
aligndet_voc_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
