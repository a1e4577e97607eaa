# Direct pre-training "P1x" of Mask R-CNN Swin-T (arXiv 2106.03112, Table 1): random init,
# 448 px crops of COCO train2017 repeated 4x, 12 epochs; for Swin the original uses AdamW
# (lr 4e-4, wd 0.05, none on norms and position tables), mixed precision, warm-up then a
# constant lr, and the 4-conv + 1-fc box head.
_base_ = ['../baselines/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py', '../_base_/direct_pretraining.py']

model = dict(
    data_preprocessor=_base_.direct_pretrain_data_preprocessor,
    backbone=dict(init_cfg=None),
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256)),
)
train_dataloader = _base_.direct_instance_train_dataloader
train_cfg = _base_.direct_pretrain_train_cfg
optim_wrapper = dict(type='AmpOptimWrapper', optimizer=dict(lr=4e-4))  # rest from mmdet's
param_scheduler = _base_.direct_pretrain_param_scheduler
auto_scale_lr = _base_.direct_pretrain_auto_scale_lr
