# AlignDet box-domain pre-training of RetinaNet R50-FPN on COCO proposals (ICCV 2023,
# Sec. 3.3; liming-ai/AlignDet configs/selfsup/retinanet.py): the frozen image-domain
# backbone, neck and head; `retina_cls` embeds anchors for the contrastive loss. The first 50
# proposals of each image only (memory), 2048 sampled anchors per image. 12 epochs, SGD lr
# 0.01 at 16 images. Fine-tune from the extracted online detector.
_base_ = ['../baselines/retinanet_r50_fpn_1x_coco.py', './_base_/pretrain.py']

# stage 1, the image-domain backbone (supervised, MoCo v2, SwAV, ...) as an mmdet ResNet
# state dict (tools/model_converters/convert_backbone.py): set this path
pretrained = 'checkpoints/resnet50_backbone.pth'
# selective-search proposals under data/coco/ (tools/misc/make_proposals.py)
proposal_file = 'annotations/train2017_ratio3size0008@0.5.json'

detector = _base_.model
detector.type = 'BoxDomainSingleStageDetector'
detector.backbone.update(
    _base_.aligndet_frozen_backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained)
)
# every proposal is one class-agnostic object; the head's classification branch starts from
# Kaiming init, not AlignDet's std 0.01 (why: dpt/models/aligndet/dense_heads.py)
detector.bbox_head.update(type='BoxDomainRetinaHead', num_classes=1)
detector.train_cfg.sampler = _base_.aligndet_dense_sampler
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
# before the views: both keep the same 50
train_dataloader.dataset.pipeline.insert(2, dict(type='KeepFirstProposals', num=50))
train_cfg = _base_.aligndet_train_cfg
optim_wrapper = _base_.aligndet_optim_wrapper
optim_wrapper.optimizer.lr = 0.01
param_scheduler = _base_.aligndet_param_scheduler
auto_scale_lr = _base_.aligndet_auto_scale_lr
custom_hooks = _base_.aligndet_custom_hooks
