# Direct pre-training "P1x" of Cascade R-CNN R50-FPN (arXiv 2106.03112, Table 1): random init,
# trainable BN, 448 px crops of COCO train2017 repeated 4x, 12 epochs, SGD with warm-up then a
# constant lr. The original keeps Cascade R-CNN's own box heads.
_base_ = ['../baselines/cascade-rcnn_r50_fpn_1x_coco.py', '../_base_/direct_pretraining.py']

model = dict(
    data_preprocessor=_base_.direct_pretrain_data_preprocessor,
    backbone=_base_.direct_pretrain_backbone,
)
train_dataloader = _base_.direct_det_train_dataloader
train_cfg = _base_.direct_pretrain_train_cfg
optim_wrapper = _base_.direct_pretrain_optim_wrapper
param_scheduler = _base_.direct_pretrain_param_scheduler
auto_scale_lr = _base_.direct_pretrain_auto_scale_lr
