# AlignDet box-domain pre-training (Li et al., ICCV 2023, Sec. 3; liming-ai/AlignDet
# configs/selfsup/*), the recipe's shared pieces under `aligndet_*` names, picked by each
# detector's pre-train config, which inherits the detector's baseline config and this file:
#     _base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py', './_base_/pretrain.py']
#     train_dataloader = _base_.aligndet_train_dataloader

# Stage 2 trains neck and heads only: the image-domain backbone is frozen, BN included.
aligndet_frozen_backbone = dict(frozen_stages=4, norm_eval=True,
                                norm_cfg=dict(type='BN', requires_grad=False))

# Two views of each image and its proposals, each with its own resize, flip and ONE
# photometric op (AlignDet's `OneOf`, from Soft Teacher: identity, auto-contrast, equalize,
# sharpness, posterize, solarize, colour, contrast, brightness; mmdet's `ColorTransform`
# base class leaves the image as it is, i.e. it is the identity). No crop and no box
# filter, so both views hold every proposal in file order: proposal j of an image is the
# same instance in both.
aligndet_color_space = [
    [dict(type='ColorTransform')], [dict(type='AutoContrast')], [dict(type='Equalize')],
    [dict(type='Sharpness')], [dict(type='Posterize')], [dict(type='Solarize')],
    [dict(type='Color')], [dict(type='Contrast')], [dict(type='Brightness')],
]
aligndet_views = ['online', 'target']  # BoxDomainPretrainer's `views`


def _train_pipeline(scales):
    view = [
        dict(type='RandomChoiceResize', scales=scales, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='RandAugment', aug_space=aligndet_color_space, aug_num=1),
        dict(type='PackDetInputs'),
    ]
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='MultiBranch', branch_field=aligndet_views, online=view, target=view),
    ]


def _train_dataloader(data_root, ann_file, img_dir, scales, batch_size, num_workers):
    return dict(
        batch_size=batch_size, num_workers=num_workers, persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='AspectRatioBatchSampler'),
        dataset=dict(
            type='CheckedCocoDataset', data_root=data_root, ann_file=ann_file,
            data_prefix=dict(img=img_dir), metainfo=dict(classes=('selective_search', )),
            filter_cfg=dict(filter_empty_gt=True, min_size=32),
            pipeline=_train_pipeline(scales)))


# COCO train2017 with selective-search proposals (tools/misc/make_proposals.py), short side
# 640-800 in steps of 32, long side <= 1333; 2 images per GPU, 16 on 8 GPUs
aligndet_train_dataloader = _train_dataloader(
    'data/coco/', 'annotations/train2017_ratio3size0008@0.5.json', 'train2017/',
    [(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)], 2, 2)
# the demo data (160 px images): short side 128-160
aligndet_demo_train_dataloader = _train_dataloader(
    'data/demo/', 'annotations/train_ratio3size0008@0.5.json', 'train/',
    [(267, 128), (267, 136), (267, 144), (267, 152), (267, 160)], 4, 1)

# the target detector follows the online one after every step (momentum 0.996 -> 1, cosine)
aligndet_custom_hooks = [dict(type='TargetMomentumHook')]

# 12 epochs; a pre-trainer has no classifier to evaluate, so validation never starts
# (AlignDet set its evaluation interval to 65535)
aligndet_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_begin=13)
# mmdet's 1x schedule (AlignDet's schedule_1x): SGD, warm-up, steps at epochs 8 and 11
aligndet_optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
aligndet_param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
aligndet_auto_scale_lr = dict(enable=False, base_batch_size=16)

# R-CNN: the RPN learns the proposals with 4096 anchors per image, positives first; the RoI
# head samples up to 4096 positive RoIs (IoU >= 0.5), the proposals themselves included,
# and no negatives
aligndet_rpn_sampler = dict(type='RandomSampler', num=4096, pos_fraction=1.0, neg_pos_ub=-1,
                            add_gt_as_proposals=False)
aligndet_rcnn_train_cfg = dict(
    assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                  match_low_quality=True, ignore_iof_thr=-1, gt_max_assign_all=False),
    sampler=dict(type='RandomSampler', num=4096, pos_fraction=1.0, neg_pos_ub=0,
                 add_gt_as_proposals=True),
    pos_weight=-1, debug=False)
# RetinaNet: 2048 anchors per image, positives first, background filling the rest (it serves
# as negatives of the contrastive loss)
aligndet_dense_sampler = dict(type='RandomSampler', num=2048, pos_fraction=1.0, neg_pos_ub=-1,
                              add_gt_as_proposals=False)
