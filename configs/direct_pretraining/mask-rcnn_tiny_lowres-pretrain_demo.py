# Direct detection pre-training (arXiv 2106.03112, Sec. 3), shrunk for the demo data:
# the detector is pre-trained from random init on the target data itself at LOW resolution
# (the paper: 448 px for 800-1333 px fine-tuning, ~0.56x; here 96 px for 160 px), with
# trainable BN, random resize 0.8-1.2 + crop + flip + mean-colour pad, SGD with warm-up then a
# constant learning rate, and no weight decay on norm layers.
_base_ = '../baselines/mask-rcnn_tiny_demo.py'

pretrain_size = (96, 96)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=pretrain_size, ratio_range=(0.8, 1.2), keep_ratio=True),
    dict(type='RandomCrop', crop_size=pretrain_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=pretrain_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# the canvas is padded after normalisation, with the mean colour, as the original
# (configs/_base_/direct_pretraining.py, direct_pretrain_data_preprocessor); the box head of
# the original recipe (4 shared convs + 1 fc), kept for fine-tuning
model = dict(
    data_preprocessor=dict(pad_size_divisor=pretrain_size[0], pad_value=0),
    backbone=dict(
        frozen_stages=-1,
        norm_eval=False,
        zero_init_residual=False,
        norm_cfg=dict(type='BN', requires_grad=True),
    ),
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=64)),
)
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.04, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0),
)
# warm-up, then the constant rate of the original recipe
param_scheduler = [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100)]
auto_scale_lr = dict(enable=False, base_batch_size=8)
