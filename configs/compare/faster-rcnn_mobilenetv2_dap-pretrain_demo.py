# DAP pre-training (Zhong et al., CVPR 2021) of the tiny Faster R-CNN on the CAM pseudo boxes
# of the classification demo split, from the ImageNet MobileNetV2 fine-tuned as a classifier
# on that split (converted to mmdet's MobileNetV2 by the command, at `classifier_backbone`):
# ../dap/faster-rcnn_dap-pretrain_tiny_demo.py with the backbone swapped.
_base_ = ['../dap/faster-rcnn_dap-pretrain_tiny_demo.py', './_base_/mobilenet_v2.py']

classifier_backbone = 'work_dirs/compare/classifier/backbone.pth'
model = dict(
    backbone=dict(
        _base_.mobilenet_v2, init_cfg=dict(type='Pretrained', checkpoint=classifier_backbone)
    ),
    neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels),
)
