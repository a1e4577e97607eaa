# The tiny RetinaNet's sizes, for the demo data and CPU tests (../baselines/retinanet_tiny_demo.py
# and every strategy's tiny RetinaNet): ResNet-18 at a quarter of its width, random init
# (16/32/64/128 channels at strides 4-32), a 64-channel FPN and head, anchors of octave base
# scale 2 (half mmdet's, for the small demo objects). Merged where the detector is, as
# ./tiny_detr.py says.
tiny_retinanet = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    bbox_head=dict(in_channels=64, feat_channels=64, anchor_generator=dict(octave_base_scale=2)),
)
