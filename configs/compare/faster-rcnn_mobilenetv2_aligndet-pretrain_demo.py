# AlignDet box-domain pre-training (Li et al., ICCV 2023, Sec. 3.3) of the tiny Faster R-CNN
# on the demo train images' proposals, with the frozen ImageNet MobileNetV2 as its
# image-domain stage: ../aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py with the backbone
# swapped. dpt's levels end at the last inverted-residual stage, so the 1280-channel conv
# (mmdet's `conv2`, which frozen_stages=7 does not freeze) feeds nothing: freeze_backbone
# freezes it too, which changes no weight that trains and lets distributed training run
# without find_unused_parameters. AlignDet's own levels (compare_strategies.py
# --mobilenet-levels aligndet) feed that conv to the FPN and train it, as AlignDet does.
_base_ = ['../aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    detector=dict(
        backbone=_base_.mobilenet_v2_frozen, neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels)
    ),
    freeze_backbone=True,
)
