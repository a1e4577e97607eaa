# AlignDet box-domain pre-training (Li et al., ICCV 2023, Sec. 3; liming-ai/AlignDet
# configs/selfsup/*), the recipe's shared pieces as plain dicts under `aligndet_*` names (the
# prefix because mmengine refuses a key that two bases define), taken by each detector's
# pre-train config, which inherits the detector's baseline config and this file:
#     _base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py', './_base_/pretrain.py']
#     train_dataloader = _base_.aligndet_train_dataloader

# Stage 2 trains neck and heads only: the image-domain backbone is frozen, BN included.
aligndet_frozen_backbone = dict(
    frozen_stages=4, norm_eval=True, norm_cfg=dict(type='BN', requires_grad=False)
)

# Two views of each image and its proposals (AlignDet's configs/_base_/datasets/
# coco_soft-teacher.py, train_pipeline1 / 2, the same for both views), each with its own
# draws: resize, flip, zero padding to a multiple of 32, then ONE colour op at a random
# magnitude (AlignDet's `OneOf` of its RandAug ops, dpt.datasets.transforms.color_ops).
# AlignDet padded before flipping, which shifted flipped boxes off their content by the
# padding (mmdet 2's RandomFlip flips boxes over `img_shape`, the image over its padded
# width); dpt flips first (docs/aligndet.md). The op sees the padding as AlignDet's did, and
# `img_shape` stays the content's, as in mmdet 2. No crop and no box filter (AlignDet's
# FilterAnnotations drops boxes under 0.01 px after resizing: no proposal inside its image),
# so both views hold every proposal in file order: proposal j is the same instance in both.
aligndet_views = ['online', 'target']  # BoxDomainPretrainer's `views`
# AlignDet's own order, to reproduce it: put these in place of view[1:3] (RandomFlip,
# PadKeepingImgShape) of both views (docs/aligndet.md, "Two views")
aligndet_flip_after_pad = [
    dict(type='PadKeepingImgShape', size_divisor=32),
    dict(type='RandomFlipAfterPad', prob=0.5),
]


# one view (the same transforms for both, each with its own draws); COCO: short side 640-800
# in steps of 32, long side <= 1333
aligndet_view = [
    dict(
        type='RandomChoiceResize',
        keep_ratio=True,
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)],
    ),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PadKeepingImgShape', size_divisor=32),
    dict(type='RandomColorOp'),  # AlignDet's nine ops, magnitude 1..9 of 10, prob 1
    dict(type='PackDetInputs'),
]
# COCO train2017 with selective-search proposals (tools/misc/make_proposals.py); 2 images per
# GPU, 16 on 8 GPUs
aligndet_train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='CheckedCocoDataset',
        data_root='data/coco/',
        ann_file='annotations/train2017_ratio3size0008@0.5.json',
        data_prefix=dict(img='train2017/'),
        metainfo=dict(classes=('selective_search',)),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(
                type='MultiBranch',
                branch_field=aligndet_views,
                online=aligndet_view,
                target=aligndet_view,
            ),
        ],
    ),
)
# the demo data (160 px images): short side 128-160, 4 images per batch
aligndet_demo_view = [
    dict(aligndet_view[0], scales=[(267, 128), (267, 136), (267, 144), (267, 152), (267, 160)]),
    *aligndet_view[1:],
]
aligndet_demo_train_dataloader = dict(
    aligndet_train_dataloader,
    batch_size=4,
    num_workers=1,
    dataset=dict(
        aligndet_train_dataloader['dataset'],
        data_root='data/demo/',
        ann_file='annotations/train_ratio3size0008@0.5.json',
        data_prefix=dict(img='train/'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(
                type='MultiBranch',
                branch_field=aligndet_views,
                online=aligndet_demo_view,
                target=aligndet_demo_view,
            ),
        ],
    ),
)

# the target detector follows the online one after every step (momentum 0.996 -> 1, cosine)
aligndet_custom_hooks = [dict(type='TargetMomentumHook')]

# 12 epochs; a pre-trainer has no classifier to evaluate, so validation never starts
# (AlignDet set its evaluation interval to 65535)
aligndet_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_begin=13)
# mmdet's 1x schedule (AlignDet's schedule_1x): SGD, warm-up, steps at epochs 8 and 11
aligndet_optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
)
aligndet_param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
aligndet_auto_scale_lr = dict(enable=False, base_batch_size=16)

# R-CNN: the RPN learns the proposals with 4096 anchors per image, positives first; the RoI
# head samples up to 4096 positive RoIs (IoU >= 0.5), the proposals themselves included,
# and no negatives
aligndet_rpn_sampler = dict(
    type='RandomSampler', num=4096, pos_fraction=1.0, neg_pos_ub=-1, add_gt_as_proposals=False
)
aligndet_rcnn_train_cfg = dict(
    assigner=dict(
        type='MaxIoUAssigner',
        pos_iou_thr=0.5,
        neg_iou_thr=0.5,
        min_pos_iou=0.5,
        match_low_quality=True,
        ignore_iof_thr=-1,
        gt_max_assign_all=False,
    ),
    sampler=dict(
        type='RandomSampler', num=4096, pos_fraction=1.0, neg_pos_ub=0, add_gt_as_proposals=True
    ),
    pos_weight=-1,
    debug=False,
)
# RetinaNet: 2048 anchors per image, positives first, background filling the rest (it serves
# as negatives of the contrastive loss)
aligndet_dense_sampler = dict(
    type='RandomSampler', num=2048, pos_fraction=1.0, neg_pos_ub=-1, add_gt_as_proposals=False
)
