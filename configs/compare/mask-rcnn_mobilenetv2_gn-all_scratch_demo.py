# From scratch with GN in backbone, neck and heads (He et al., "Rethinking ImageNet
# Pre-training", ICCV 2019): ../scratch/mask-rcnn_tiny_gn-all_scratch-15e_demo.py with a random
# MobileNetV2 (8 groups: every MobileNetV2 width is a multiple of 8). The command sets its
# epochs to the Direct arm's budget.
_base_ = ['../scratch/mask-rcnn_tiny_gn-all_scratch-15e_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    backbone=dict(_base_.mobilenet_v2, norm_cfg=dict(type='GN', num_groups=8, requires_grad=True)),
    neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels),
)
