# DETReg fine-tuning (../detreg/deformable-detr_detreg-finetune_tiny_demo.py: DETReg's seeded
# 10 % of the demo train images) with MobileNetV2 at DETReg's 0.1x backbone lr. The baseline
# starts from the ImageNet backbone (this file's init_cfg, load_from None); the DETReg arm loads
# the pre-trained detector with --cfg-options load_from=...
_base_ = ['../detreg/deformable-detr_detreg-finetune_tiny_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    backbone=dict(_base_.mobilenet_v2_imagenet, out_indices=(2, 4, 6)),
    neck=dict(in_channels=[32, 96, 320]),
)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=0.1))))
load_from = None
