# Direct pre-training (arXiv 2106.03112, Sec. 3) of the tiny Mask R-CNN with a randomly
# initialised MobileNetV2: ../direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py (96 px,
# BN trained) with the backbone swapped. Fine-tuned by
# mask-rcnn_mobilenetv2_imagenet-finetune_demo.py with load_from.
_base_ = [
    '../direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py',
    './_base_/mobilenet_v2.py',
]

model = dict(backbone=_base_.mobilenet_v2, neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels))
