# AlignDet box-domain pre-training of FCOS R50-FPN (GN head) on COCO proposals (ICCV 2023,
# Sec. 3.3; liming-ai/AlignDet configs/selfsup/fcos.py): the frozen image-domain backbone,
# neck and head; `conv_cls` embeds points for the contrastive loss, IoU loss and centerness
# as usual, 2048 sampled points per batch. 12 epochs, SGD lr 0.01 at 16 images, mmdet's 1x
# schedule without FCOS's bias-lr and clipping tweaks. Fine-tune from the extracted online
# detector.
_base_ = ['../baselines/fcos_r50-caffe_fpn_gn-head_1x_coco.py', './_base_/pretrain.py']

# stage 1, the image-domain backbone (supervised, MoCo v2, SwAV, ...) as an mmdet ResNet
# state dict (tools/model_converters/convert_backbone.py): set this path
pretrained = 'checkpoints/resnet50_backbone.pth'
# selective-search proposals under data/coco/ (tools/misc/make_proposals.py)
proposal_file = 'annotations/train2017_ratio3size0008@0.5.json'

detector = _base_.model
detector.type = 'BoxDomainSingleStageDetector'
# AlignDet's FCOS has a pytorch-style ResNet (torchvision / self-supervised weights) on RGB
# images normalised by mean and std, not mmdet's caffe-style one
detector.data_preprocessor.update(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
)
detector.backbone.update(
    _base_.aligndet_frozen_backbone,
    style='pytorch',
    init_cfg=dict(type='Pretrained', checkpoint=pretrained),
)
# every proposal is one class-agnostic object
detector.bbox_head.update(type='BoxDomainFCOSHead', num_classes=1, num_samples=2048)
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
optim_wrapper.optimizer.lr = 0.01
param_scheduler = _base_.aligndet_param_scheduler
auto_scale_lr = _base_.aligndet_auto_scale_lr
custom_hooks = _base_.aligndet_custom_hooks
