# Mask R-CNN with a Swin backbone, shrunk for the demo data and CPU tests: a random-init Swin
# with 32-dim patch embeddings, two blocks per stage (a plain and a shifted window),
# 1/2/4/8 heads (32 dims each), stage outputs 32/64/128/256, window 5 (the 40/20/10/5-px
# token grids of a 160 px image tile exactly, where 7 would pad), drop path 0.1; the head
# is that of mask-rcnn_tiny_demo.py (64-channel FPN, anchors halved for 10-90 px objects,
# 256-unit box head, 64-channel mask head, 6 classes).
_base_ = ['./mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py', '../_base_/demo_data.py']

model = dict(
    backbone=dict(
        embed_dims=32,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8],
        window_size=5,
        drop_path_rate=0.1,
        convert_weights=False,
        init_cfg=None,
    ),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64, anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=6),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(in_channels=64, conv_out_channels=64, num_classes=6),
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500), rcnn=dict(sampler=dict(num=64))
    ),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)),
)

train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_val_dataloader
test_dataloader = _base_.demo_test_dataloader
val_evaluator = _base_.demo_val_evaluator
test_evaluator = _base_.demo_test_evaluator
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
# the Swin recipe's AdamW (weight decay 0.05, none on norms and position tables) at lr 2e-4
# for batch 4 from random init; a 100-iteration warm-up instead of 1000 (longer than the
# whole demo schedule's first epochs), then steps
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[9, 11], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
