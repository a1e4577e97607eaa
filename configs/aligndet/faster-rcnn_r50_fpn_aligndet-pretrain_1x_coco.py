# AlignDet box-domain pre-training of Faster R-CNN R50-FPN on COCO proposals (ICCV 2023,
# Sec. 3.3; liming-ai/AlignDet configs/selfsup/mask_rcnn.py): the frozen image-domain
# backbone, neck, RPN and box head (AlignDet's 4conv1fc head); `fc_cls` embeds RoIs for the
# contrastive loss. 12 epochs, SGD lr 0.02 at 16 images. Fine-tune from the extracted online
# detector.
_base_ = [
    '../baselines/faster-rcnn_r50_fpn_1x_coco.py',
    './_base_/pretrain.py',
    './_base_/rcnn_bbox_head.py',
]

# stage 1, the image-domain backbone (supervised, MoCo v2, SwAV, ...) as an mmdet ResNet
# state dict (tools/model_converters/convert_backbone.py): set this path
pretrained = 'checkpoints/resnet50_backbone.pth'
# selective-search proposals under data/coco/ (tools/misc/make_proposals.py)
proposal_file = 'annotations/train2017_ratio3size0008@0.5.json'

detector = _base_.model
detector.type = 'BoxDomainTwoStageDetector'
detector.backbone.update(
    _base_.aligndet_frozen_backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained)
)
detector.roi_head.type = 'BoxDomainRoIHead'
# AlignDet's `num_classes=256`: the 256 outputs of the box head's embedding and, with its
# class-specific fc_reg, one regression output per instance id of the batch
detector.roi_head.bbox_head.update(_base_.aligndet_rcnn_bbox_head, num_classes=256)
detector.train_cfg.rpn.sampler = _base_.aligndet_rpn_sampler
detector.train_cfg.rcnn = _base_.aligndet_rcnn_train_cfg
model = dict(
    _delete_=True,
    type='BoxDomainPretrainer',
    detector=detector,
    momentum=0.996,
    views=_base_.aligndet_views,
)
del detector  # model.detector is the one (tiny variants override it)

train_dataloader = _base_.aligndet_train_dataloader
train_dataloader.dataset.ann_file = proposal_file
train_cfg = _base_.aligndet_train_cfg
optim_wrapper = _base_.aligndet_optim_wrapper
param_scheduler = _base_.aligndet_param_scheduler
auto_scale_lr = _base_.aligndet_auto_scale_lr
custom_hooks = _base_.aligndet_custom_hooks
