# AlignDet fine-tuning (../aligndet/faster-rcnn_aligndet-finetune_tiny_demo.py: 10 % of the
# demo labels, BN trained, lr x1.5, weight decay x0.5) with MobileNetV2. The baseline starts
# from the ImageNet backbone (this file's init_cfg, load_from None); the AlignDet arm loads the
# extracted online detector with --cfg-options load_from=...
_base_ = ['../aligndet/faster-rcnn_aligndet-finetune_tiny_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    backbone=_base_.mobilenet_v2_imagenet, neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels)
)
load_from = None
