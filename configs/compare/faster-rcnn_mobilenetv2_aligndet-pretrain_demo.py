# AlignDet box-domain pre-training (Li et al., ICCV 2023, Sec. 3.3) of the tiny Faster R-CNN
# on the demo train images' proposals, with the frozen ImageNet MobileNetV2 as its
# image-domain stage: ../aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py with the backbone
# swapped.
_base_ = ['../aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    detector=dict(
        backbone=_base_.mobilenet_v2_frozen, neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels)
    )
)
