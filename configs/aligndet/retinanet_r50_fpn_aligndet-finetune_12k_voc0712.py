# AlignDet fine-tuning of RetinaNet R50-FPN on VOC07+12 (Li et al., ICCV 2023; AlignDet's
# configs/voc): mmdet's VOC config with AlignDet's recipe: 12k iterations at batch 16 (steps at
# 9k, 11k), multi-scale training (short side 480-800), SyncBN in backbone and neck, lr 0.015 and
# weight decay 5e-5 (1.5x and 0.5x of 0.01 / 1e-4; AlignDet's released
# finetune_retinanet_12k_voc0712_lr1.5e-2_wd5e-5).
# Evaluated with VOC07 11-point mAP, as mmdet's and AlignDet's VOC configs.
# load_from: the COCO pre-training's online detector (extract_detector_weights.py).
_base_ = [
    'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py',
    '../_base_/dpt_runtime.py',
    './_base_/finetune_recipe.py',
]

model = dict(backbone=_base_.aligndet_backbone, neck=_base_.aligndet_neck)
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            datasets=[
                dict(voc, pipeline=_base_.aligndet_voc_train_pipeline)
                for voc in _base_.train_dataloader.dataset.dataset.datasets
            ]
        )
    )
)
val_dataloader = dict(dataset=dict(pipeline=_base_.aligndet_voc_test_pipeline))
test_dataloader = val_dataloader
train_cfg = _base_.aligndet_12k_train_cfg
param_scheduler = _base_.aligndet_12k_param_scheduler
default_hooks = _base_.aligndet_12k_default_hooks
log_processor = _base_.aligndet_12k_log_processor
optim_wrapper = dict(optimizer=dict(lr=0.015, weight_decay=5e-5))
load_from = 'work_dirs/retinanet_r50_fpn_aligndet-pretrain_1x_coco/aligndet_finetune_init.pth'
