# Miniature baseline (a) for direct pre-training on the demo data: the same tiny Mask R-CNN
# as configs/direct_pretraining/mask-rcnn_tiny_*_demo.py (4-conv + 1-fc box head, BN), trained
# from random init at full resolution only, for the same compute as pre-training + fine-tuning
# (8 epochs at 96 px ~ 3 epochs at 160 px, + 12 epochs = 15 epochs; docs/direct_pretraining.md).
_base_ = '../baselines/mask-rcnn_tiny_demo.py'

model = dict(roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=64)))
max_epochs = 15
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[11, 14], gamma=0.1
    ),
]
