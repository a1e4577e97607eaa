# DAP's detectors start from maskrcnn-benchmark's catalog://ImageNetPretrained/MSRA/R-50
# (mikuhatsune/dap configs/imagenet1k/dap_in1k_faster_rcnn_r50fpn.yaml line 4, and the same
# for the in1k_* transfer configs): Detectron's MSRA ResNet-50, caffe style (stride in the
# 3x3 conv), BGR input minus the pixel mean, std 1, frozen BatchNorm. mmdet ships the same
# weights as open-mmlab://detectron2/resnet50_caffe with these settings
# (mmdet::faster_rcnn/faster-rcnn_r50-caffe_fpn_1x_coco.py).
# Plain dicts (mmengine allows a key in one base only): a config takes them as
#   model = dict(data_preprocessor=_base_.msra_preprocessor, backbone=_base_.msra_backbone)
msra_preprocessor = dict(mean=[103.530, 116.280, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False)
msra_backbone = dict(
    norm_cfg=dict(requires_grad=False),
    norm_eval=True,
    style='caffe',
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe'),
)
