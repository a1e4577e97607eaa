# DAP pre-training (Zhong et al., CVPR 2021; mikuhatsune/dap; METHODS.md section 5): Faster
# R-CNN R50-FPN trained to detect the CAM pseudo boxes of ImageNet-1k's train images (1000
# classes + background), initialised from the classifier that made them.
#   1. the classifier's backbone in mmdet's keys (timm / torchvision ResNet-50 checkpoints):
#        python tools/model_converters/convert_backbone.py checkpoints/classifier_r50.pth \
#            checkpoints/classifier_r50_backbone.pth
#   2. the pseudo boxes (NMS 0.8, as DAP trains with):
#        python tools/misc/make_cam_boxes.py data/imagenet/train --classifier timm:resnet50 \
#            --checkpoint checkpoints/classifier_r50.pth \
#            --out data/imagenet/annotations/train_cam_boxes
#   3. tools/dist_train.sh configs/dap/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet.py 8
#   4. python tools/model_converters/extract_detector_weights.py \
#        work_dirs/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet --preset dap
# Recipe: batch 64 (8 x 8), SGD lr 0.008, linear warm-up over 2000 iterations, one epoch of
# the 1.28 M images = 20k iterations (iteration-based here, so that a checkpoint every 2000
# iterations lets the run resume), short side drawn from (96, 160, 320, 640); the longer
# side is capped at 1066 (DAP's transfer cap; its pre-training cap is not published).
_base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

classifier_backbone = 'checkpoints/classifier_r50_backbone.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=classifier_backbone)),
    roi_head=dict(bbox_head=dict(num_classes=1000)))

dap_short_sides = (96, 160, 320, 640)
dap_max_side = 1066
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', keep_ratio=True,
         scales=[(dap_max_side, s) for s in dap_short_sides]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=4,
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, type='PseudoBoxDataset', data_root='data/imagenet/',
                 ann_file='annotations/train_cam_boxes_nms0.8.json',
                 data_prefix=dict(img='train/'), filter_cfg=dict(filter_empty_gt=True),
                 pipeline=train_pipeline))
# no validation during pre-training (its classes are the classifier's)
val_dataloader = test_dataloader = None
val_evaluator = test_evaluator = None
val_cfg = test_cfg = None

max_iters = 20000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(optimizer=dict(lr=0.008))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=2000),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=2000, end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=2000, max_keep_ckpts=3),
    logger=dict(interval=50))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=64)
