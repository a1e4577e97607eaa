# The 6x from-scratch recipe trained 9x (108 epochs), the length He et al. use with scale
# augmentation; steps kept at the same fractions of the schedule as mmdet's 6x (0.89, 0.97).
_base_ = './faster-rcnn_r50_fpn_gn-all_scratch_6x_coco.py'
max_epochs = 108
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[96, 105], gamma=0.1
    ),
]
