# The tiny Faster R-CNN's sizes, for the demo data and CPU tests
# (../baselines/faster-rcnn_tiny_demo.py, ../baselines/mask-rcnn_tiny_demo.py and every
# strategy's tiny R-CNN): ResNet-18 at a quarter of its width, random init, a 64-channel FPN,
# RPN and RoI features, anchors of scale 4 (half mmdet's), a 256-wide box head, fewer
# proposals. Merged where the detector is, as ./tiny_detr.py says.
tiny_faster_rcnn = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64, anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256),
    ),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=500)),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)),
)
