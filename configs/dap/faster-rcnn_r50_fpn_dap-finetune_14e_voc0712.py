# DAP transfer to PASCAL VOC07+12 trainval -> VOC07 test (Zhong et al., CVPR 2021;
# mikuhatsune/dap configs/imagenet1k/in1k_faster_rcnn_r50fpn_voc0712.yaml): Faster R-CNN
# R50-FPN from the DAP pre-trained detector without its class-specific predictor
# (extract_detector_weights.py --preset dap drops fc_cls and fc_reg),
# short side 640 (max 1066), SGD lr 0.01 at batch 16 (2 x 8), 14 epochs, lr x0.1 after 10,
# maskrcnn-benchmark's default warm-up (1/3 x lr over 500 iterations); AP50 with VOC07's
# 11-point metric (DAP reports VOC07 AP50: 77.36 -> 79.93 for IN-1k). Its control, DAP's
# in1k baseline from the MSRA ResNet-50 alone: --cfg-options load_from=None.
_base_ = [
    'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py',
    '../_base_/dpt_runtime.py',
    './_base_/msra-r50-caffe_init.py',
]

model = dict(data_preprocessor=_base_.msra_preprocessor, backbone=_base_.msra_backbone)
load_from = 'work_dirs/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet/finetune_init.pth'

scale = (1066, 640)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'),
    ),
]
# mmdet repeats VOC 3x per "epoch"; DAP counts plain epochs
voc_root = 'data/VOCdevkit/'
voc07_trainval = dict(
    type='VOCDataset',
    data_root=voc_root,
    ann_file='VOC2007/ImageSets/Main/trainval.txt',
    data_prefix=dict(sub_data_root='VOC2007/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline=train_pipeline,
)
voc12_trainval = dict(
    voc07_trainval,
    ann_file='VOC2012/ImageSets/Main/trainval.txt',
    data_prefix=dict(sub_data_root='VOC2012/'),
)
train_dataloader = dict(
    dataset=dict(times=1, dataset=dict(datasets=[voc07_trainval, voc12_trainval]))
)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 14
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[10], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
