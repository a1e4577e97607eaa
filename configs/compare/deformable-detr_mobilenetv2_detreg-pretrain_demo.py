# DETReg pre-training (Bar et al., CVPR 2022) of the tiny Deformable DETR on the demo train
# images, labels unused, with the frozen ImageNet MobileNetV2 as backbone and, from the same
# network, the region encoder: its layer3 (stride 8, 32 channels), the stage that matches
# DETReg's ResNet layer2 target. ../detreg/deformable-detr_detreg-pretrain_tiny_demo.py with
# both swapped.
_base_ = ['../detreg/deformable-detr_detreg-pretrain_tiny_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    # strides 8, 16, 32 (32, 96, 320 channels), as the ResNet's layer2-4
    backbone=dict(_base_.mobilenet_v2_frozen, out_indices=(2, 4, 6)),
    neck=dict(in_channels=[32, 96, 320]),
    bbox_head=dict(feature_dims=32),
    region_encoder=dict(
        checkpoint=_base_.imagenet_torchvision,
        backbone=dict(_delete_=True, type='MobileNetV2', out_indices=(2,)),
    ),
)
