# Cascade R-CNN, shrunk for the demo data and CPU tests like faster-rcnn_tiny_demo.py:
# ResNet-18 at a quarter of its width (random init, trainable BN), 64-channel FPN, RPN anchors
# halved to fit 10-90 px objects on 160 px images, three 256-unit box heads for 6 classes,
# fewer proposals and sampled RoIs per image. The three cascade stages are lists in the COCO
# config, so they are rebuilt from it here, changing only the sizes.
_base_ = ['./cascade-rcnn_r50_fpn_1x_coco.py', '../_base_/demo_data.py']

model = dict(
    backbone=dict(
        depth=18,
        base_channels=16,
        frozen_stages=-1,
        norm_eval=False,
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None,
    ),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64, anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=[
            dict(head, in_channels=64, fc_out_channels=256, num_classes=6)
            for head in _base_.model.roi_head.bbox_head
        ],
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=[
            dict(stage, sampler=dict(stage.sampler, num=64))
            for stage in _base_.model.train_cfg.rcnn
        ],
    ),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)),
)

train_dataloader = _base_.demo_det_train_dataloader
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
# SGD as in faster-rcnn_tiny_demo.py: lr 0.02 at batch 4 after a warm-up, gradient clipping
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
