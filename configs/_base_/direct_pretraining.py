# Direct detection pre-training (arXiv 2106.03112; wxzs5/direct-pretraining), the recipe's
# shared pieces as plain dicts under `direct_*` names (the prefix because mmengine refuses a
# key that two bases define), taken by each detector's pre-train / fine-tune config:
#     _base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py', '../_base_/direct_pretraining.py']
#     train_dataloader = _base_.direct_det_train_dataloader
direct_pretrain_size = (448, 448)  # pre-training resolution, for 1333x800 fine-tuning
direct_repeat = 4  # "P1x": 12 epochs over the data repeated 4 times


direct_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=False),
    dict(type='RandomResize', scale=direct_pretrain_size, ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomCrop', crop_size=direct_pretrain_size),
    dict(type='RandomFlip', prob=0.5),
    # no Pad here: the canvas is padded after normalisation (direct_pretrain_data_preprocessor)
    dict(type='PackDetInputs'),
]
# 8 images per GPU, 64 in all on 8 GPUs (the paper's batch)
direct_det_train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=direct_repeat,
        dataset=dict(
            type='CheckedCocoDataset',
            data_root='data/coco/',
            ann_file='annotations/instances_train2017.json',
            data_prefix=dict(img='train2017/'),
            filter_cfg=dict(filter_empty_gt=True, min_size=32),
            pipeline=direct_train_pipeline,
        ),
    ),
)
# instance segmentation (Mask R-CNN): the same with masks
direct_instance_train_pipeline = [
    dict(t, with_mask=True) if t['type'] == 'LoadAnnotations' else dict(t)
    for t in direct_train_pipeline
]
direct_instance_train_dataloader = dict(
    direct_det_train_dataloader,
    dataset=dict(
        direct_det_train_dataloader['dataset'],
        dataset=dict(
            direct_det_train_dataloader['dataset']['dataset'],
            pipeline=direct_instance_train_pipeline,
        ),
    ),
)

# The original pads the 448 canvas AFTER normalising (mmdet 2.x `Normalize`, then
# `Pad(size=(448, 448))`), so the padding is the mean colour (0 once normalised), not black.
# mmdet 3 normalises in the data preprocessor, which pads after normalising with pad_value;
# the crop leaves every image at most 448 px a side, so padding to multiples of 448 gives each
# image exactly the 448x448 canvas, with pad_shape 448 and img_shape the image's own, as there.
# Validation images (1333x800) are then padded to multiples of 448 too (896x1344).
direct_pretrain_data_preprocessor = dict(pad_size_divisor=direct_pretrain_size[0], pad_value=0)

# random init, trainable BN everywhere, no zero-init of residual branches
direct_pretrain_backbone = dict(
    frozen_stages=-1,
    zero_init_residual=False,
    norm_eval=False,
    norm_cfg=dict(type='BN', requires_grad=True),
    init_cfg=None,
)
# fine-tuning freezes BN (statistics and affine) and the stem + first stage, as the original
direct_finetune_backbone = dict(
    frozen_stages=1, norm_eval=True, norm_cfg=dict(type='BN', requires_grad=False), init_cfg=None
)

# SGD lr 0.08 at batch 64 (RetinaNet 0.04), wd 1e-4 but none on norm layers, no clipping
direct_pretrain_optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.08, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0),
)
# linear warm-up over 500 iterations (RetinaNet 1000), then a CONSTANT rate
direct_pretrain_param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=500)
]
direct_pretrain_auto_scale_lr = dict(enable=False, base_batch_size=64)
direct_pretrain_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
