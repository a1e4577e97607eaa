# Direct pre-training's comparison (arXiv 2106.03112, Table 1, "ImageNet-1x vs Direct(P1x)-1x")
# on the demo data with MobileNetV2: the tiny Mask R-CNN fine-tuned at 160 px with the
# fine-tune recipe of ../direct_pretraining/mask-rcnn_tiny_finetune_demo.py (BN frozen, stem
# and first layer frozen). Backbone from ImageNet; the Direct arm loads its pre-training with
# --cfg-options load_from=..., which replaces it.
_base_ = ['../direct_pretraining/mask-rcnn_tiny_finetune_demo.py', './_base_/mobilenet_v2.py']

model = dict(
    backbone=dict(
        _base_.mobilenet_v2_imagenet,
        frozen_stages=1,
        norm_eval=True,
        norm_cfg=dict(type='BN', requires_grad=False),
    ),
    neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels),
)
load_from = None
