# Fine-tuning Mask R-CNN Swin-T after direct pre-training: the whole pre-trained detector is
# loaded and trained with mmdet's Swin-T 1x recipe (AdamW lr 1e-4, steps 8 / 11) in mixed
# precision, with the original's 500-iteration warm-up. load_from: the P1x pre-training's final
# checkpoint.
_base_ = '../baselines/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py'

model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256)),
)
optim_wrapper = dict(type='AmpOptimWrapper')
# the original's 1x schedule: warm-up over 500 iterations (mmdet's Swin config: 1000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
load_from = 'work_dirs/mask-rcnn_swin-t-p4-w7_fpn_direct-pretrain-p1x_coco/epoch_12.pth'
