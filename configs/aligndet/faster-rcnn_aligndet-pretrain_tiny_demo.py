# AlignDet pre-training of the tiny Faster R-CNN (the sizes of
# ../baselines/faster-rcnn_tiny_demo.py: ResNet-18 at a quarter of its width, 64-channel FPN,
# halved anchors) on the demo data's train images and their proposals, views of 128-160 px,
# fewer sampled anchors / RoIs. The backbone is frozen at random init here (there is no
# image-domain demo backbone): set its init_cfg to dict(type='Pretrained', checkpoint=...)
# to start from one.
_base_ = ['./faster-rcnn_r50_fpn_aligndet-pretrain_1x_coco.py', '../_base_/demo_data.py']

# proposals of the demo train images under data/demo/ (tools/misc/make_proposals.py)
proposal_file = 'annotations/train_ratio3size0008@0.5.json'

model = dict(detector=dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64, anchor_generator=dict(scales=[4])),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=64),
                  bbox_head=dict(in_channels=64, conv_out_channels=64, fc_out_channels=256)),
    train_cfg=dict(rpn=dict(sampler=dict(num=256)),
                   rpn_proposal=dict(nms_pre=1000, max_per_img=500),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300))))

train_dataloader = _base_.aligndet_demo_train_dataloader
train_dataloader.dataset.ann_file = proposal_file
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
default_hooks = _base_.demo_default_hooks
# SGD lr 0.02 at batch 4 (as the tiny baselines), a warm-up shorter than the 48 iterations
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
