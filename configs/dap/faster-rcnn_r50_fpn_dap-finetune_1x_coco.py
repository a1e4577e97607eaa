# DAP transfer to COCO (Zhong et al., CVPR 2021): Faster R-CNN R50-FPN from the DAP
# pre-trained detector without its class-specific predictor, maskrcnn-benchmark's 1x: 90k
# iterations at batch 16 (lr 0.02, steps at 60k and 80k), i.e. mmdet's 1x schedule (12
# epochs of 118k images = 88k iterations, steps after 8 and 11 epochs). DAP reports COCO AP
# 36.73 -> 37.25 (IN-1k classifier -> DAP). Control, from the classifier alone:
# --cfg-options load_from=None.
_base_ = ['../baselines/faster-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

classifier_backbone = 'checkpoints/classifier_r50_backbone.pth'
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=classifier_backbone)))
load_from = 'work_dirs/faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet/finetune_init.pth'
