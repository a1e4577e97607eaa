# AlignDet box-domain pre-training of DETR R50 on COCO proposals (ICCV 2023, Sec. 3.3 and
# App. B.5; liming-ai/AlignDet configs/selfsup/detr.py): the frozen image-domain backbone,
# the transformer and the head. Each proposal's class is its K-means cluster (256 clusters of
# RoIAlign backbone features, tools/misc/cluster_proposals.py), so DETR's Hungarian matching
# and losses (CE over the clusters, L1 x5, GIoU x2) apply as usual; `fc_embed` projects the
# queries for the contrastive loss. The first 50 proposals of each image (fewer than the 100
# queries). 50 epochs, AdamW lr 5e-5 at 16 images (step at 40), wd 1e-4, gradient clipping
# 0.1; the target runs in train mode (dropout on), as AlignDet's.
# Fine-tune from the extracted online detector (detr_r50_aligndet-finetune_*_coco.py):
#     tools/model_converters/extract_detector_weights.py \
#         work_dirs/detr_r50_aligndet-pretrain_50e_coco
_base_ = ['../baselines/detr_r50_8xb2-150e_coco.py', './_base_/pretrain.py']

# stage 1, the image-domain backbone (supervised, MoCo v2, SwAV, ...) as an mmdet ResNet
# state dict (tools/model_converters/convert_backbone.py): set this path
pretrained = 'checkpoints/resnet50_backbone.pth'
# AlignDet's `classes = [f'cluster_{i+1}' for i in range(256)]`
num_clusters = 256
# the selective-search proposals under data/coco/ with their clusters as categories:
#     tools/misc/cluster_proposals.py data/coco/annotations/train2017_ratio3size0008@0.5.json \
#         data/coco/train2017 --backbone checkpoints/resnet50_backbone.pth --clusters 256
proposal_file = 'annotations/train2017_ratio3size0008@0.5_cluster-id-as-class.json'

detector = _base_.model
detector.type = 'BoxDomainDETR'
detector.backbone.update(
    _base_.aligndet_frozen_backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained)
)
# AlignDet's classification loss (configs/_base_/models/selfsup_detr_r50.py:56): plain
# cross-entropy over the clusters and no-object, no class weights. So no-object weighs 1 (not
# DETR's 0.1) and the sum is divided by the number of matched queries only (mmdet 2.25's
# DETRHead: bg_cls_weight stays 0 without class_weight)
detector.bbox_head.update(type='BoxDomainDETRHead', num_classes=num_clusters)
detector.bbox_head.loss_cls = dict(
    type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0
)  # replaced, not merged
# the proposals' labels are their clusters: the pre-trainer keeps them
model = dict(
    _delete_=True,
    type='BoxDomainPretrainer',
    detector=detector,
    momentum=0.996,
    views=_base_.aligndet_views,
    class_agnostic=False,
)

train_dataloader = _base_.aligndet_train_dataloader
train_dataloader.dataset.update(
    ann_file=proposal_file, metainfo=dict(classes=[f'cluster_{i + 1}' for i in range(num_clusters)])
)
# before the views: both keep the same 50 (AlignDet's SelectTopKProposals(topk=50))
train_dataloader.dataset.pipeline.insert(2, dict(type='KeepFirstProposals', num=50))
train_cfg = dict(_base_.aligndet_train_cfg, max_epochs=50, val_begin=51)
# AdamW (wd 1e-4, clipping 0.1) at the lr AlignDet trained with: its config states 2e-4
# with `auto_scale_lr = dict(enable=True, base_batch_size=64)` (configs/selfsup/detr.py:
# 35-39), and mmdet 2.25's train_detector applies an enabled auto_scale_lr without any flag:
# 2e-4 x (8 GPUs x 2 images) / 64 = 5e-5. Another GPU count: --auto-scale-lr (base 16).
# No backbone lr multiplier: the backbone is frozen.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-5, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[40], gamma=0.1)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
custom_hooks = _base_.aligndet_custom_hooks
