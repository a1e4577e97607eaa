# DAP pre-training (Zhong et al., CVPR 2021; mikuhatsune/dap
# configs/imagenet1k/dap_in1k_faster_rcnn_r50fpn.yaml): Faster R-CNN R50-FPN trained to detect
# the CAM pseudo boxes of ImageNet-1k's train images (1000 classes + background), started,
# as DAP's config does, from the MSRA ResNet-50 (./_base_/msra-r50-caffe_init.py); DAP's
# ImageNet-22k recipe starts from the classifier that made the boxes instead:
# ./faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet_classifier-init.py.
#   1. the pseudo boxes (NMS 0.8, as DAP trains with; DAP's script uses torchvision's
#      ImageNet ResNet-101):
#        python tools/misc/make_cam_boxes.py data/imagenet/train \
#            --classifier torchvision:resnet101 --checkpoint checkpoints/resnet101-63fe2227.pth \
#            --out data/imagenet/annotations/train_cam_boxes
#   2. tools/dist_train.sh configs/dap/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet.py 8
#   3. python tools/model_converters/extract_detector_weights.py \
#        work_dirs/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet --preset dap
# Recipe (DAP's yaml): batch 64 (8 x 8), SGD lr 0.008, weight decay 1e-4, linear warm-up from
# 0.01 x lr over 2000 iterations, then constant for one epoch (MAX_EPOCH 1: 1,281,167 / 64 =
# 20018 iterations; iteration-based here so that a checkpoint every 2000 iterations lets the
# run resume), short side drawn from (96, 160, 320, 640), the long side capped at
# maskrcnn-benchmark's default MAX_SIZE_TRAIN 1333, padding to 32.
_base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py', './_base_/msra-r50-caffe_init.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

model = dict(
    data_preprocessor=_base_.msra_preprocessor,
    backbone=_base_.msra_backbone,
    roi_head=dict(bbox_head=dict(num_classes=1000)),
)

dap_short_sides = (96, 160, 320, 640)
dap_max_side = 1333
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoiceResize',
        keep_ratio=True,
        scales=[(dap_max_side, s) for s in dap_short_sides],
    ),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='PseudoBoxDataset',
        data_root='data/imagenet/',
        ann_file='annotations/train_cam_boxes_nms0.8.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
    ),
)
# no validation during pre-training (its classes are the classifier's)
val_dataloader = test_dataloader = None
val_evaluator = test_evaluator = None
val_cfg = test_cfg = None

max_iters = 20018
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=0.008))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=2000),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=2000, end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=2000, max_keep_ckpts=3), logger=dict(interval=50)
)
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=64)
