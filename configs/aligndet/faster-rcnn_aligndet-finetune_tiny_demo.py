# AlignDet fine-tuning of the tiny Faster R-CNN (../baselines/faster-rcnn_tiny_demo.py, the 6
# demo classes) on 10 % of the demo train labels, the demo counterpart of
# faster-rcnn_r50_fpn_aligndet-finetune_12k_coco-10pct.py: the AlignDet recipe (BN in backbone
# and neck, lr x1.5 and weight decay x0.5), 96 epochs of the 30 labelled images (768 iterations,
# about 4 minutes on 2 CPU cores; 24 epochs left both arms of the miniature below 1 AP). The
# split is fold 1 of
#     python tools/misc/make_semi_splits.py --ann-file data/demo/annotations/instances_train.json \
#         --out-dir data/demo/semi_anns --percent 10
# load_from: the online detector of faster-rcnn_aligndet-pretrain_tiny_demo.py as
# tools/model_converters/extract_detector_weights.py writes it; another with --cfg-options.
_base_ = [
    '../baselines/faster-rcnn_tiny_demo.py',
    './_base_/finetune_recipe.py',
    './_base_/rcnn_bbox_head.py',
]

# AlignDet's 4conv1fc box head at the tiny FPN's width (64 channels, the 256-unit fc)
model = dict(
    backbone=_base_.aligndet_backbone,
    neck=_base_.aligndet_neck,
    roi_head=dict(bbox_head=dict(_base_.aligndet_rcnn_bbox_head, conv_out_channels=64)),
)
train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train.1@10.json'))
train_cfg = dict(max_epochs=96, val_interval=96)
# the tiny baseline's lr 0.02 / weight decay 1e-4 at batch 4, times 1.5 and 0.5
optim_wrapper = dict(optimizer=dict(lr=0.03, weight_decay=5e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=96, milestones=[72, 88], gamma=0.1),
]
load_from = 'work_dirs/faster-rcnn_aligndet-pretrain_tiny_demo/aligndet_finetune_init.pth'
