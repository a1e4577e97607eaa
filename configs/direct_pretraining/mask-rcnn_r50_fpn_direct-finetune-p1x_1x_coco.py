# Fine-tuning Mask R-CNN R50-FPN after direct pre-training: the whole pre-trained detector is
# loaded and trained with mmdet's 1333x800 1x schedule, BN frozen (arXiv 2106.03112, Sec. 3).
# load_from: the P1x pre-training's final checkpoint in its default work dir; another
# with --cfg-options load_from=...
_base_ = ['../baselines/mask-rcnn_r50_fpn_1x_coco.py', '../_base_/direct_pretraining.py']

model = dict(
    backbone=_base_.direct_finetune_backbone,
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256)),
)
load_from = 'work_dirs/mask-rcnn_r50_fpn_direct-pretrain-p1x_coco/epoch_12.pth'
