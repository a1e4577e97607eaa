# The built-in demo data (tools/misc/make_demo_data.py; docs/demo_data.md): 160x160 synthetic
# images of 6 shape classes with masks, as plain dicts. Names carry a `demo_` prefix because
# a tiny config inherits both its full COCO config and this file, and mmengine refuses a key
# that two bases both define (`train_dataloader` ...); the tiny config then takes what it needs:
#     train_dataloader = _base_.demo_train_dataloader
demo_data_root = 'data/demo/'
demo_metainfo = dict(classes=('circle', 'square', 'triangle', 'star', 'ring', 'cross'))
demo_image_size = (160, 160)


# instance segmentation (Mask R-CNN family): boxes and masks, COCO bbox + segm AP
demo_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=demo_image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
demo_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=demo_image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
demo_dataset = dict(type='CheckedCocoDataset', data_root=demo_data_root, metainfo=demo_metainfo)
demo_train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        demo_dataset,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=demo_train_pipeline,
    ),
)
demo_val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        demo_dataset,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        test_mode=True,
        pipeline=demo_test_pipeline,
    ),
)
demo_test_dataloader = demo_val_dataloader
demo_val_evaluator = dict(
    type='CocoMetric',
    ann_file=demo_data_root + 'annotations/instances_val.json',
    metric=['bbox', 'segm'],
    format_only=False,
)
demo_test_evaluator = demo_val_evaluator

# detection only (RetinaNet, FCOS, Faster / Cascade R-CNN, DETRs): the same without masks
demo_det_train_pipeline = [
    dict(t, with_mask=False) if t['type'] == 'LoadAnnotations' else dict(t)
    for t in demo_train_pipeline
]
demo_det_test_pipeline = [
    dict(t, with_mask=False) if t['type'] == 'LoadAnnotations' else dict(t)
    for t in demo_test_pipeline
]
demo_det_train_dataloader = dict(
    demo_train_dataloader,
    dataset=dict(demo_train_dataloader['dataset'], pipeline=demo_det_train_pipeline),
)
demo_det_val_dataloader = dict(
    demo_val_dataloader,
    dataset=dict(demo_val_dataloader['dataset'], pipeline=demo_det_test_pipeline),
)
demo_det_test_dataloader = demo_det_val_dataloader
demo_det_val_evaluator = dict(demo_val_evaluator, metric='bbox')
demo_det_test_evaluator = demo_det_val_evaluator

# a short schedule for 2 CPU cores; each tiny config sets its own optimizer
demo_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
demo_default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    visualization=dict(type='DetVisualizationHook', draw=False),
)
