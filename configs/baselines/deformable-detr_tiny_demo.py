# Deformable DETR, shrunk for the demo data and CPU tests: ResNet-18 at a quarter of its
# width (random init, trainable BN; stages 2-4 give 32/64/128 channels at strides 8/16/32,
# plus one extra level), a 64-dim transformer with 2 encoder + 2 decoder layers (4 heads,
# FFN 128, sine positions with 32 features per axis), 50 queries, 6 classes. mmdet's pipeline
# resizes to 480-800 px with random crops; the demo loaders keep 160 px images.
_base_ = [
    './deformable-detr_r50_16xb2-50e_coco.py',
    '../_base_/tiny_deformable_detr.py',
    '../_base_/demo_data.py',
]

# the tiny sizes (../_base_/tiny_deformable_detr.py), a trainable BN, the 6 demo classes
model = _base_.tiny_deformable_detr
model.backbone.update(
    frozen_stages=-1, norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True)
)
model.bbox_head.num_classes = 6

train_pipeline = _base_.demo_det_train_pipeline
train_dataloader = _base_.demo_det_train_dataloader
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
max_epochs = 12
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
# the COCO recipe's AdamW (lr 2e-4, gradient clipping at 0.1, sampling offsets and reference
# points at 0.1x) at batch 4; the backbone is trained from scratch, so it gets the full rate
# instead of 0.1x for a pre-trained one
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
