# AlignDet fine-tuning of Mask R-CNN R50-FPN on 10 % of COCO's labelled images
# (Li et al., ICCV 2023, semi-supervised setting): 12k iterations at batch 16, steps at 9k and
# 11k, otherwise as the 1x COCO fine-tuning (SyncBN, lr x1.5, wd x0.5, the same load_from).
# The labelled images are fold 1 of the SoftTeacher / mmdet splits, made by
#     python tools/misc/make_semi_splits.py --percent 1 5 10
# (data/coco/semi_anns/instances_train2017.{fold}@{percent}.json; docs/weights.md).
_base_ = './mask-rcnn_r50_fpn_aligndet-finetune_1x_coco.py'

train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train2017.1@10.json'))
train_cfg = _base_.aligndet_12k_train_cfg
param_scheduler = _base_.aligndet_12k_param_scheduler
default_hooks = _base_.aligndet_12k_default_hooks
log_processor = _base_.aligndet_12k_log_processor
