# DETR, shrunk for the demo data and CPU tests: ResNet-18 at a quarter of its width (random
# init, trainable BN; its 128-channel stride-32 map is 5x5 on 160 px images), a 64-dim
# transformer with 2 encoder + 2 decoder layers (4 heads, FFN 128, sine positions with 32
# features per axis), 50 queries (at most 22 objects per demo image), 6 classes. mmdet's DETR
# pipeline resizes to 480-800 px with random crops; the demo loaders keep 160 px images.
_base_ = ['./detr_r50_8xb2-150e_coco.py', '../_base_/tiny_detr.py', '../_base_/demo_data.py']

# the tiny sizes (../_base_/tiny_detr.py), a trainable BN, the 6 demo classes
model = _base_.tiny_detr
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
# DETR's AdamW with gradient clipping at 0.1, lr 2e-4 at batch 4; the backbone is trained from
# scratch, so it gets the full rate instead of the COCO recipe's 0.1x for a pre-trained one
optim_wrapper = dict(
    optimizer=dict(lr=2e-4), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)})
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
