# Direct pre-training "P1x" of RetinaNet R50-FPN (arXiv 2106.03112, Table 1): random init,
# trainable BN, 448 px crops of COCO train2017 repeated 4x, 12 epochs, SGD with warm-up then a
# constant lr.
_base_ = ['../baselines/retinanet_r50_fpn_1x_coco.py', '../_base_/direct_pretraining.py']

model = dict(
    data_preprocessor=_base_.direct_pretrain_data_preprocessor,
    backbone=_base_.direct_pretrain_backbone,
)
train_dataloader = _base_.direct_det_train_dataloader
train_cfg = _base_.direct_pretrain_train_cfg
# RetinaNet: half the rate (0.04) and a 1000-iteration warm-up
optim_wrapper = dict(
    _base_.direct_pretrain_optim_wrapper,
    optimizer=dict(type='SGD', lr=0.04, momentum=0.9, weight_decay=1e-4),
)
param_scheduler = [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000)]
auto_scale_lr = _base_.direct_pretrain_auto_scale_lr
