# Faster R-CNN, shrunk for the demo data and CPU tests: ResNet-18 at a quarter of its
# width, 64-channel FPN, anchors halved to fit 10-90 px objects on 160 px images.
_base_ = [
    './faster-rcnn_r50_fpn_1x_coco.py',
    '../_base_/tiny_faster_rcnn.py',
    '../_base_/demo_data.py',
]

# the tiny sizes (../_base_/tiny_faster_rcnn.py), a trainable BN, the 6 demo classes, 64
# RoIs per image
model = _base_.tiny_faster_rcnn
model.backbone.update(
    frozen_stages=-1, norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True)
)
model.roi_head.bbox_head.num_classes = 6
model.train_cfg.rcnn = dict(sampler=dict(num=64))

train_dataloader = _base_.demo_det_train_dataloader
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
