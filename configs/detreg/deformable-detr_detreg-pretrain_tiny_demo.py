# DETReg pre-training of the tiny Deformable DETR (sizes of
# ../baselines/deformable-detr_tiny_demo.py:
# ResNet-18 at a quarter width, 64-dim transformer, 2 + 2 layers, 50 queries) on the demo
# train images, labels unused, DETReg's view at 0.3x (short sides 96-144). Backbone and
# region encoder are random and
# frozen (no self-supervised demo checkpoint): set region_encoder.checkpoint and the backbone's
# init_cfg to start from one. Region crops 64 px (DETReg: 128) to spare the CPU.
_base_ = [
    './deformable-detr_r50_detreg-pretrain_50e_coco.py',
    '../_base_/tiny_deformable_detr.py',
    '../_base_/demo_data.py',
]

# the tiny sizes (../_base_/tiny_deformable_detr.py); region crops embedded by ResNet-18 at
# a quarter width up to layer2: 32 channels
model = _base_.tiny_deformable_detr
model.bbox_head.feature_dims = 32
model.region_encoder = dict(checkpoint=None, backbone=dict(depth=18, base_channels=16))

# DETReg's view at 0.3x its sizes (./_base_/pretrain_view.py)
train_pipeline = _base_.detreg_demo_train_pipeline
train_dataloader = _base_.demo_det_train_dataloader
train_dataloader.dataset.update(filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline)
# the demo loader replaces the full one's (its sampler settings included)
train_dataloader.update(_delete_=True)
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
default_hooks = _base_.demo_default_hooks
train_cfg = dict(max_epochs=12, val_begin=13)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[10], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
