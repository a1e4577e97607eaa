# DETReg pre-training of the tiny pre-norm DETR (sizes of ../baselines/detr_tiny_demo.py) on
# the demo train images, labels unused; random frozen backbone and region encoder, 64 px
# crops, as ./deformable-detr_detreg-pretrain_tiny_demo.py.
_base_ = [
    './detr_r50_detreg-pretrain_60e_imagenet.py',
    '../_base_/tiny_detr.py',
    '../_base_/demo_data.py',
]

# the tiny sizes (../_base_/tiny_detr.py); region crops embedded by ResNet-18 at a quarter
# width up to layer2: 32 channels
model = _base_.tiny_detr
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
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=12)]
auto_scale_lr = dict(enable=False, base_batch_size=4)
