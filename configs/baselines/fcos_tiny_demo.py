# FCOS, shrunk for the demo data and CPU tests: ResNet-18 at a quarter of its width, 64-channel
# FPN and GN head, 6 classes. The COCO config's caffe-style backbone expects frozen BN and
# caffe weights (BGR, mean-only normalisation); a random-init tiny backbone trains better as
# a pytorch-style ResNet with trainable BN on RGB images normalised by mean and std.
# Regress ranges halved (max side distance 32 / 64 / 128 / 256 px per level) for 10-90 px
# objects on 160 px images. SGD with warm-up then steps at batch 4.
_base_ = [
    './fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    '../_base_/tiny_fcos.py',
    '../_base_/demo_data.py',
]

# the tiny sizes (../_base_/tiny_fcos.py), a trainable BN, the 6 demo classes
model = _base_.tiny_fcos
model.update(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
    )
)
model.backbone.update(
    style='pytorch', frozen_stages=-1, norm_eval=False, norm_cfg=dict(type='BN', requires_grad=True)
)
model.bbox_head.num_classes = 6

train_dataloader = _base_.demo_det_train_dataloader
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
# the 1x recipe's SGD (lr 0.01, bias lr x2, gradient clipping) at batch 4; a linear warm-up
# replaces its constant 1/3 warm-up of 500 iterations (longer than the whole demo schedule)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
