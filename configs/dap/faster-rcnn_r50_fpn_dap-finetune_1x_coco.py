# DAP transfer to COCO (Zhong et al., CVPR 2021; mikuhatsune/dap
# configs/imagenet1k/in1k_faster_rcnn_r50fpn_coco.yaml): Faster R-CNN R50-FPN from the DAP
# pre-trained detector without its class-specific predictor; the yaml's schedule in
# iterations: 90k at batch 16, lr 0.02, x0.1 at 60k and 80k, maskrcnn-benchmark's default
# warm-up (1/3 x lr over 500 iterations), short side 800 / long side 1333 (its defaults).
# DAP reports COCO AP 36.73 -> 37.25 (IN-1k classifier -> DAP). Control, from the MSRA
# ResNet-50 alone (DAP's in1k baseline): --cfg-options load_from=None.
_base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py', './_base_/msra-r50-caffe_init.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

model = dict(data_preprocessor=_base_.msra_preprocessor, backbone=_base_.msra_backbone)
load_from = 'work_dirs/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet/finetune_init.pth'

max_iters = 90000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[60000, 80000],
        gamma=0.1,
    ),
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000))
log_processor = dict(by_epoch=False)
