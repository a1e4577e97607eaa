# AlignDet fine-tuning of Faster R-CNN R50-FPN, 1x on COCO (Li et al., ICCV 2023): mmdet's 1x
# with the whole box-domain pre-trained detector loaded, AlignDet's 4conv1fc box head
# (./_base_/rcnn_bbox_head.py), SyncBN in backbone and neck, lr 0.03
# and weight decay 5e-5 (1.5x and 0.5x mmdet's 0.02 / 1e-4; AlignDet's released
# finetune_faster-rcnn_1x_coco_lr3e-2_wd5e-5).
# load_from: the online detector of the pre-training, without output layers, as
# tools/model_converters/extract_detector_weights.py writes it into the pre-training's work
# dir; another with --cfg-options load_from=...
_base_ = [
    '../baselines/faster-rcnn_r50_fpn_1x_coco.py',
    './_base_/finetune_recipe.py',
    './_base_/rcnn_bbox_head.py',
]

model = dict(
    backbone=_base_.aligndet_backbone,
    neck=_base_.aligndet_neck,
    roi_head=dict(bbox_head=_base_.aligndet_rcnn_bbox_head),
)
optim_wrapper = dict(optimizer=dict(lr=0.03, weight_decay=5e-5))
load_from = 'work_dirs/faster-rcnn_r50_fpn_aligndet-pretrain_1x_coco/aligndet_finetune_init.pth'
