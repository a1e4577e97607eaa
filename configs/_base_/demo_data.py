# The built-in demo data (tools/misc/make_demo_data.py; docs/demo_data.md): 160x160 synthetic
# images of 6 shape classes with masks. Names carry a `demo_` prefix so that a tiny config can
# inherit both its full COCO config and this file (mmengine forbids duplicate keys among
# bases) and then pick what it needs:
#     train_dataloader = _base_.demo_train_dataloader
demo_data_root = 'data/demo/'
demo_metainfo = dict(classes=('circle', 'square', 'triangle', 'star', 'ring', 'cross'))
demo_image_size = (160, 160)


def _pipelines(with_mask, scale):
    train = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs'),
    ]
    test = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=scale, keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
    ]
    return train, test


def _loaders(train_pipeline, test_pipeline):
    dataset = dict(type='CheckedCocoDataset', data_root=demo_data_root, metainfo=demo_metainfo)
    train = dict(
        batch_size=4, num_workers=1, persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='AspectRatioBatchSampler'),
        dataset=dict(dataset, ann_file='annotations/instances_train.json',
                     data_prefix=dict(img='train/'),
                     filter_cfg=dict(filter_empty_gt=True, min_size=4),
                     pipeline=train_pipeline))
    test = dict(
        batch_size=4, num_workers=1, persistent_workers=True, drop_last=False,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(dataset, ann_file='annotations/instances_val.json',
                     data_prefix=dict(img='val/'), test_mode=True, pipeline=test_pipeline))
    return train, test


# instance segmentation (Mask R-CNN family): boxes and masks, COCO bbox + segm AP
demo_train_pipeline, demo_test_pipeline = _pipelines(True, demo_image_size)
demo_train_dataloader, demo_val_dataloader = _loaders(demo_train_pipeline, demo_test_pipeline)
demo_test_dataloader = demo_val_dataloader
demo_val_evaluator = dict(type='CocoMetric',
                          ann_file=demo_data_root + 'annotations/instances_val.json',
                          metric=['bbox', 'segm'], format_only=False)
demo_test_evaluator = demo_val_evaluator

# detection only (RetinaNet, FCOS, Faster / Cascade R-CNN, DETRs): no masks loaded
demo_det_train_pipeline, demo_det_test_pipeline = _pipelines(False, demo_image_size)
demo_det_train_dataloader, demo_det_val_dataloader = _loaders(demo_det_train_pipeline,
                                                              demo_det_test_pipeline)
demo_det_test_dataloader = demo_det_val_dataloader
demo_det_val_evaluator = dict(demo_val_evaluator, metric='bbox')
demo_det_test_evaluator = demo_det_val_evaluator

# a short schedule for 2 CPU cores; each tiny config sets its own optimizer
demo_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
demo_default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                          checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
                          visualization=dict(type='DetVisualizationHook', draw=False))
