# The detector started from the classifier that made the pseudo boxes instead (DAP's
# ImageNet-22k recipe, configs/imagenet22k/dap_in22k_faster_rcnn_r50fpn.yaml line 4: WEIGHT is
# the 22k classifier that compute_box_imagenet22k.py uses): a torchvision / timm ResNet-50
# converted with tools/model_converters/convert_backbone.py, pytorch style, RGB input
# normalised with the ImageNet mean / std. A config takes the plain dicts as
#   model = dict(data_preprocessor=_base_.classifier_preprocessor,
#                backbone=_base_.classifier_init_backbone)
classifier_backbone = 'checkpoints/classifier_r50_backbone.pth'
classifier_preprocessor = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
)
classifier_init_backbone = dict(
    norm_cfg=dict(requires_grad=True),
    style='pytorch',
    init_cfg=dict(type='Pretrained', checkpoint=classifier_backbone),
)
