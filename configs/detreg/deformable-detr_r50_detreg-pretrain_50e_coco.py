# DETReg pre-training of Deformable DETR R50 on COCO train2017 images, labels unused (Bar et al.,
# CVPR 2022; amirbar/DETReg configs/DETReg_top30_coco.sh): the first
# 30 boxes of OpenCV's fast selective search (128x128 copy) are one-class ground truth, and a
# `feature_embed` MLP (256 -> 256 -> 512) regresses the frozen SwAV ResNet-50's pooled layer2
# feature of each matched box's 128x128 crop (L1, weight 1, last decoder layer). Focal x2,
# L1 x5, GIoU x2 and matching costs 2/5/2 are mmdet's Deformable DETR's. Backbone frozen.
# Fine-tune from the extracted detector (no class branches, no feature_embed, no encoder):
#     tools/model_converters/extract_detector_weights.py work_dirs/THIS_CONFIG
_base_ = ['../baselines/deformable-detr_r50_16xb2-50e_coco.py', './_base_/pretrain_view.py']
custom_imports = dict(imports=['dpt', 'dpt.ops'], allow_failed_imports=False)

# SwAV ResNet-50 (facebookresearch/swav swav_800ep_pretrain.pth.tar): the raw file feeds the
# region encoder; the detector's backbone needs it converted to mmdet's keys:
#     tools/model_converters/convert_backbone.py checkpoints/swav_800ep_pretrain.pth.tar \
#         checkpoints/swav_r50_backbone.pth
swav = 'checkpoints/swav_800ep_pretrain.pth.tar'
swav_backbone = 'checkpoints/swav_r50_backbone.pth'

# DETReg's matching costs (models/def_matcher.py: focal cost with eps 1e-8, L1 x5, GIoU x2,
# class x2): mmdet's, with its FocalLossCost eps (1e-12 by default) set to DETReg's
detreg_match_costs = [
    dict(type='FocalLossCost', weight=2.0, eps=1e-8),
    dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
    dict(type='IoUCost', iou_mode='giou', weight=2.0),
]
model = dict(
    type='DETReg',
    msda_impl='dpt',
    num_queries=300,
    freeze_backbone=True,
    backbone=dict(
        frozen_stages=4, norm_eval=True, init_cfg=dict(type='Pretrained', checkpoint=swav_backbone)
    ),
    # DETReg's class head keeps its COCO default (--dataset_file coco: 90 + 1 classes,
    # models/__init__.py) in pre-training too, the priors labelled 1 (RegionPriors label=1);
    # the 90 others only ever see negatives. Dropped before fine-tuning either way.
    bbox_head=dict(
        type='DETRegHead',
        num_classes=91,
        feature_dims=512,
        loss_embed=dict(type='L1Loss', loss_weight=1.0),
    ),
    # SwAV ResNet-50 up to layer2: 512 channels, global-average-pooled (DETReg sec. 3.2)
    region_encoder=dict(
        type='RegionEncoder',
        checkpoint=swav,
        backbone=dict(
            type='ResNet',
            depth=50,
            num_stages=2,
            out_indices=(1,),
            strides=(1, 2),
            dilations=(1, 1),
            frozen_stages=2,
            norm_eval=True,
            style='pytorch',
            init_cfg=None,
        ),
    ),
    train_cfg=dict(assigner=dict(match_costs=detreg_match_costs)),
)

# DETReg's view (./_base_/pretrain_view.py): crops and targets from the image as loaded,
# then flip and one of its two resize / crop branches
train_pipeline = _base_.detreg_train_pipeline
# batch 24 per GPU x 8 GPUs as DETReg; images without boxes are kept (no labels are read)
# DETReg's batches: torch's BatchSampler over the shuffled images, last incomplete batch
# dropped (main.py), not mmdet's AspectRatioBatchSampler, which groups by orientation
train_dataloader = dict(
    batch_size=24,
    num_workers=8,
    batch_sampler=None,
    drop_last=True,
    dataset=dict(filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline),
)

train_cfg = dict(max_epochs=50, val_begin=51)
# AdamW 2e-4, wd 1e-4, clipping 0.1 (the base's; its backbone 0.1x does not matter, frozen)
optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=1e-4), clip_grad=dict(max_norm=0.1, norm_type=2)
)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[40], gamma=0.1)
]
# DETReg's lr is for 8 x 24 images: --auto-scale-lr rescales it to another total batch
auto_scale_lr = dict(enable=False, base_batch_size=192)
