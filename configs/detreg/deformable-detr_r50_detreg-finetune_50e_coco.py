# DETReg fine-tuning of Deformable DETR R50 on COCO, 50 epochs, lr drop at 40 (Bar et al.,
# CVPR 2022, sec. 4; amirbar/DETReg configs/DETReg_fine_tune_full_coco.sh): mmdet's
# Deformable DETR on dpt's deformable-attention op, starting from every pre-trained weight
# except the class branches. AdamW 2e-4, backbone 2e-5 (lr_mult 0.1),
# clipping 0.1: the baseline's recipe, restated here because it is DETReg's.
# load_from: DETReg's full-COCO script starts from its ImageNet pre-training
# (configs/DETReg_fine_tune_full_coco.sh: --pretrain exps/DETReg_top30_in/checkpoint.pth),
# here the detector extract_detector_weights.py writes for a plain (non-AlignDet) checkpoint
# next to ./deformable-detr_r50_detreg-pretrain_5e_imagenet.py's checkpoints. DETReg keeps
# the box branches' last layers and drops only the class branches (`class_embed`), so
#     python tools/model_converters/extract_detector_weights.py \
#         work_dirs/deformable-detr_r50_detreg-pretrain_5e_imagenet --preset detreg
# (docs/detreg.md); another checkpoint with --cfg-options load_from=...
_base_ = ['../baselines/deformable-detr_r50_16xb2-50e_coco.py']
custom_imports = dict(imports=['dpt', 'dpt.ops'], allow_failed_imports=False)

# no ImageNet init: load_from replaces every backbone weight (and nothing is downloaded)
# DETReg's matching costs (models/def_matcher.py: focal cost with eps 1e-8, L1 x5, GIoU x2,
# class x2): mmdet's, with its FocalLossCost eps (1e-12 by default) set to DETReg's
detreg_match_costs = [
    dict(type='FocalLossCost', weight=2.0, eps=1e-8),
    dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
    dict(type='IoUCost', iou_mode='giou', weight=2.0),
]
model = dict(
    type='DeformableDETRWithOp',
    msda_impl='dpt',
    backbone=dict(init_cfg=None),
    train_cfg=dict(assigner=dict(match_costs=detreg_match_costs)),
)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}),
)
max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[40], gamma=0.1)
]
load_from = 'work_dirs/deformable-detr_r50_detreg-pretrain_5e_imagenet/finetune_init.pth'
# DETReg's fine-tuning view (datasets/coco.py make_coco_transforms, Deformable DETR's): mmdet's
# Deformable DETR pipeline, its resizes with DETR's size rule (DETRResize) and PIL's filter, as
# DETReg's torchvision resizes of PIL images (mmdet's Resize rounds sizes, with OpenCV)
# images decoded by PIL without EXIF rotation, as DETReg's Image.open(...).convert("RGB")
ft_load = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation',
    backend_args=None,
)
ft_resize = dict(
    type='RandomChoiceResize',
    resize_type='DETRResize',
    keep_ratio=True,
    backend='pillow',
    scales=[(1333, s) for s in range(480, 801, 32)],
)
train_pipeline = [
    ft_load,
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [ft_resize],
            [
                dict(
                    type='RandomChoiceResize',
                    resize_type='DETRResize',
                    keep_ratio=True,
                    backend='pillow',
                    scales=[(0, s) for s in (400, 500, 600)],
                ),  # 0: no limit
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True,
                ),
                ft_resize,
            ],
        ],
    ),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    ft_load,
    dict(type='DETRResize', scale=(1333, 800), keep_ratio=True, backend='pillow'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
# batch 4 per GPU x 8 GPUs: DETReg's default --batch_size 4 on the README's 8 GPUs
# DETReg's batches: torch's BatchSampler over the shuffled images, last incomplete batch
# dropped (main.py), not mmdet's AspectRatioBatchSampler, which groups by orientation
train_dataloader = dict(
    batch_size=4, batch_sampler=None, drop_last=True, dataset=dict(pipeline=train_pipeline)
)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=32)
