# AlignDet fine-tuning of Mask R-CNN R50-FPN, 1x on COCO (Li et al., ICCV 2023): mmdet's 1x
# with the whole box-domain pre-trained detector loaded (the mask head starts fresh: box-domain
# pre-training does not train it), AlignDet's 4conv1fc box head (./_base_/rcnn_bbox_head.py),
# SyncBN in backbone and neck, lr 0.03 and weight decay 5e-5
# (AlignDet README: 1.5x and 0.5x of mmdet's 0.02 / 1e-4).
# load_from: written by tools/model_converters/extract_detector_weights.py (docs/weights.md).
_base_ = [
    '../baselines/mask-rcnn_r50_fpn_1x_coco.py',
    './_base_/finetune_recipe.py',
    './_base_/rcnn_bbox_head.py',
]

model = dict(
    backbone=_base_.aligndet_backbone,
    neck=_base_.aligndet_neck,
    roi_head=dict(bbox_head=_base_.aligndet_rcnn_bbox_head),
)
optim_wrapper = dict(optimizer=dict(lr=0.03, weight_decay=5e-5))
load_from = 'work_dirs/mask-rcnn_r50_fpn_aligndet-pretrain_1x_coco/aligndet_finetune_init.pth'
