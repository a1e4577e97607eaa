# DAP transfer (../dap/faster-rcnn_dap-finetune_tiny_demo.py: 10 % of the demo labels) with
# MobileNetV2. The baseline starts from the classifier's backbone alone (load_from None); the
# DAP arm loads the pre-training without its class-specific predictor with
# --cfg-options load_from=...
_base_ = ['../dap/faster-rcnn_dap-finetune_tiny_demo.py', './_base_/mobilenet_v2.py']

classifier_backbone = 'work_dirs/compare/classifier/backbone.pth'
model = dict(
    backbone=dict(
        _base_.mobilenet_v2, init_cfg=dict(type='Pretrained', checkpoint=classifier_backbone)
    ),
    neck=dict(in_channels=_base_.mobilenet_v2_fpn_channels),
)
load_from = None
