# AlignDet pre-training of the tiny FCOS (the sizes of ../baselines/fcos_tiny_demo.py:
# ResNet-18 at a quarter of its width, 64-channel FPN and GN head, halved regress ranges) on
# the demo data's train images and their proposals, views of 128-160 px, 256 sampled points
# per batch. The backbone is frozen at random init here (there is no image-domain demo
# backbone): set its init_cfg to dict(type='Pretrained', checkpoint=...) to start from one.
_base_ = [
    './fcos_r50_fpn_aligndet-pretrain_1x_coco.py',
    '../_base_/tiny_fcos.py',
    '../_base_/demo_data.py',
]

# proposals of the demo train images under data/demo/ (tools/misc/make_proposals.py)
proposal_file = 'annotations/train_ratio3size0008@0.5.json'

# the tiny sizes (../_base_/tiny_fcos.py), 256 points per image
model = dict(detector=_base_.tiny_fcos)
model['detector'].bbox_head.num_samples = 256

train_dataloader = _base_.aligndet_demo_train_dataloader
train_dataloader.dataset.ann_file = proposal_file
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
default_hooks = _base_.demo_default_hooks
# SGD lr 0.01 at batch 4 (as the tiny baselines), a warm-up shorter than the 48 iterations
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
