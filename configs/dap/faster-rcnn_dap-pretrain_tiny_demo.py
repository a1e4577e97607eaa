# DAP pre-training of the tiny Faster R-CNN (../baselines/faster-rcnn_tiny_demo.py: ResNet-18
# at a quarter width, 6 classes) on the classification demo split's CAM pseudo boxes, the
# demo counterpart of ./faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet.py. Its inputs, made by
# tools/analysis_tools/dap_miniature.py (or by hand, docs/dap.md):
#   - the demo classifier's backbone, work_dirs/miniature/classifier/backbone.pth (timm
#     ResNet-18 at a quarter width: its stem keeps 64 channels, hence stem_channels=64)
#   - data/demo_cls/annotations/train_cam_boxes_nms0.8.json (tools/misc/make_cam_boxes.py)
# Short sides (64, 96, 128, 160) for the 160 px images (DAP: 96-640 for ImageNet's ~400 px),
# SGD 0.02 at batch 4 with a 100-iteration warm-up, 4 epochs (1200 iterations), no
# validation (the classes are the classifier's).
_base_ = ['../baselines/faster-rcnn_tiny_demo.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

classifier_backbone = 'work_dirs/miniature/classifier/backbone.pth'
model = dict(
    backbone=dict(
        stem_channels=64,
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=classifier_backbone),
    )
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', keep_ratio=True, scales=[(267, s) for s in (64, 96, 128, 160)]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PseudoBoxDataset',
        data_root='data/demo_cls/',
        ann_file='annotations/train_cam_boxes_nms0.8.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline,
    )
)
val_dataloader = test_dataloader = None
val_evaluator = test_evaluator = None
val_cfg = test_cfg = None
max_epochs = 4
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs + 1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[3], gamma=0.1),
]
