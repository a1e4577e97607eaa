# AlignDet fine-tuning of FCOS R50-FPN (GN head), 1x on COCO (Li et al., ICCV 2023): mmdet's
# FCOS 1x recipe with the whole box-domain pre-trained detector loaded, SyncBN in backbone and
# neck, lr 0.015 and weight decay 5e-5 (1.5x and 0.5x of 0.01 / 1e-4; AlignDet's released
# finetune_fcos_1x_coco_lr1.5e-2_wd5e.5). The backbone is pytorch-style on RGB images
# normalised by mean and std, as AlignDet's FCOS (a torchvision / self-supervised ResNet),
# not mmdet's caffe-style one.
# load_from: written by tools/model_converters/extract_detector_weights.py (docs/weights.md).
_base_ = ['../baselines/fcos_r50-caffe_fpn_gn-head_1x_coco.py', './_base_/finetune_recipe.py']

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True
    ),
    backbone=dict(_base_.aligndet_backbone, style='pytorch'),
    neck=_base_.aligndet_neck,
)
optim_wrapper = dict(optimizer=dict(lr=0.015, weight_decay=5e-5))
load_from = 'work_dirs/fcos_r50_fpn_aligndet-pretrain_1x_coco/aligndet_finetune_init.pth'
