# DETReg's DETR variant: pre-training of DETR R50 with a pre-norm transformer on ImageNet-1k
# train images, labels unused (amirbar/DETReg configs/DETReg_top30_in_detr.sh: --model detr
# --pre_norm --epochs 60 --lr_backbone 0; its DETR defaults: lr 1e-4, 100 queries, FFN 2048,
# class cost / weight 1 with no-object weight 0.1, lr drop at 200, i.e. none in 60 epochs).
# Region priors, crops and the SwAV layer2 targets as
# ./deformable-detr_r50_detreg-pretrain_50e_coco.py; batch 24 x 8 GPUs (DETReg's README).
# Fine-tune from it with ./detr_r50_detreg-finetune_150e_coco.py after
#     tools/model_converters/extract_detector_weights.py \
#         work_dirs/detr_r50_detreg-pretrain_60e_imagenet --preset detreg
_base_ = ['../baselines/detr_r50_8xb2-150e_coco.py', './_base_/pretrain_view.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

swav = 'checkpoints/swav_800ep_pretrain.pth.tar'
swav_backbone = 'checkpoints/swav_r50_backbone.pth'
model = dict(
    type='DETRegDETR',
    pre_norm=True,
    num_queries=100,
    freeze_backbone=True,
    # DETReg's models/position_encoding.py serves its DETR too: (y - 0.5) / (y_max + 1e-6)
    # * 2 pi, Deformable DETR's normalisation, not DETR's (no offset): mmdet's offset=-0.5
    positional_encoding=dict(offset=-0.5),
    backbone=dict(
        frozen_stages=4, norm_eval=True, init_cfg=dict(type='Pretrained', checkpoint=swav_backbone)
    ),
    # DETReg's class head keeps its COCO default (--dataset_file coco: 90 + 1 classes,
    # models/__init__.py) in pre-training too, the priors labelled 1 (RegionPriors label=1);
    # the 90 others only ever see negatives. Dropped before fine-tuning either way.
    bbox_head=dict(
        type='DETRegDETRHead',
        num_classes=91,
        feature_dims=512,
        loss_embed=dict(type='L1Loss', loss_weight=1.0),
    ),
    region_encoder=dict(
        type='RegionEncoder',
        checkpoint=swav,
        backbone=dict(
            type='ResNet',
            depth=50,
            num_stages=2,
            out_indices=(1,),
            strides=(1, 2),
            dilations=(1, 1),
            frozen_stages=2,
            norm_eval=True,
            style='pytorch',
            init_cfg=None,
        ),
    ),
)

train_pipeline = _base_.detreg_train_pipeline
# batch 24 per GPU x 8 GPUs, as DETReg's README runs DETReg_top30_in_detr.sh
# DETReg's batches: torch's BatchSampler over the shuffled images, last incomplete batch
# dropped (main.py), not mmdet's AspectRatioBatchSampler, which groups by orientation
train_dataloader = dict(
    batch_size=24,
    num_workers=8,
    batch_sampler=None,
    drop_last=True,
    dataset=dict(
        _delete_=True,
        type='UnlabelledImageFolder',
        data_root='data/imagenet/',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline,
    ),
)

max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_begin=max_epochs + 1)
optim_wrapper = dict(
    optimizer=dict(lr=1e-4, weight_decay=1e-4), clip_grad=dict(max_norm=0.1, norm_type=2)
)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=max_epochs)]
# DETReg's lr is for 8 x 24 images: --auto-scale-lr rescales it to another total batch
auto_scale_lr = dict(enable=False, base_batch_size=192)
