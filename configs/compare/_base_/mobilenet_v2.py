# torchvision's ImageNet MobileNetV2 (Sandler et al., CVPR 2018; 71.9 % top-1) as mmdet's
# MobileNetV2, the ImageNet backbone of every arm of tools/analysis_tools/compare_strategies.py
# that starts from one. The command converts the offline checkpoint
# (dpt.utils.offline_weights.mobilenet_v2_imagenet()) to this path with
#     python tools/model_converters/convert_backbone.py \
#         ~/.cache/dpt/weights/mobilenet_v2-b0353104.pth \
#         work_dirs/compare/imagenet/mobilenet_v2_mmdet.pth
imagenet_backbone = 'work_dirs/compare/imagenet/mobilenet_v2_mmdet.pth'
# the checkpoint as torchvision saved it (copied there by the command), for DETReg's region
# encoder, which reads torchvision's layout itself
imagenet_torchvision = 'work_dirs/compare/imagenet/mobilenet_v2-b0353104.pth'

# strides 4, 8, 16, 32 (layers 2, 3, 5, 7: 24, 32, 96, 320 channels) for a 4-level FPN
mobilenet_v2_fpn_channels = [24, 32, 96, 320]
mobilenet_v2 = dict(
    _delete_=True,
    type='MobileNetV2',
    out_indices=(1, 2, 4, 6),
    frozen_stages=-1,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    init_cfg=None,
)
mobilenet_v2_imagenet = dict(
    mobilenet_v2, init_cfg=dict(type='Pretrained', checkpoint=imagenet_backbone)
)
# every layer frozen, BN statistics too (AlignDet's and DETReg's pre-training)
mobilenet_v2_frozen = dict(
    mobilenet_v2_imagenet,
    frozen_stages=7,
    norm_eval=True,
    norm_cfg=dict(type='BN', requires_grad=False),
)
