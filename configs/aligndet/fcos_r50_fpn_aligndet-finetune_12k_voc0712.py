# AlignDet fine-tuning of FCOS R50-FPN on VOC07+12 (Li et al., ICCV 2023; AlignDet's
# configs/voc/fcos_mstrain_12k_voc0712.py): the COCO fine-tuning's model and optimizer (SyncBN,
# lr 0.015, wd 5e-5, bias lr x2, gradient clipping) for 20 classes, 12k iterations at batch 16
# (linear warm-up, steps at 9k, 11k), multi-scale training, VOC07 11-point mAP.
# mmdet has no FCOS VOC config, and a config cannot inherit both a COCO detector config and
# mmdet's _base_/datasets/voc0712.py (their dataloader keys clash), so that file's VOC07+12
# loaders are restated here with AlignDet's pipelines.
_base_ = './fcos_r50_fpn_aligndet-finetune_1x_coco.py'

model = dict(bbox_head=dict(num_classes=20))
voc_root = 'data/VOCdevkit/'
train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='RepeatDataset',
        times=3,
        dataset=dict(
            type='ConcatDataset',
            ignore_keys=['dataset_type'],
            datasets=[
                dict(
                    type='VOCDataset',
                    data_root=voc_root,
                    ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root=f'VOC{year}/'),
                    filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
                    pipeline=_base_.aligndet_voc_train_pipeline,
                )
                for year in ('2007', '2012')
            ],
        ),
    ),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VOCDataset',
        data_root=voc_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline=_base_.aligndet_voc_test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points')
test_evaluator = val_evaluator
train_cfg = _base_.aligndet_12k_train_cfg
param_scheduler = _base_.aligndet_12k_param_scheduler
default_hooks = _base_.aligndet_12k_default_hooks
log_processor = _base_.aligndet_12k_log_processor
