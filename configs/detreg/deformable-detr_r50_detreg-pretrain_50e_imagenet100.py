# DETReg pre-training of Deformable DETR R50 on ImageNet-100's train images (the 100-class
# subset of CMC; amirbar/DETReg configs/DETReg_top30_in100.sh: the COCO recipe's 50 epochs,
# lr drop at 40), read as a plain folder like ./deformable-detr_r50_detreg-pretrain_5e_imagenet.py.
_base_ = ['./deformable-detr_r50_detreg-pretrain_5e_imagenet.py']

imagenet_root = 'data/imagenet100/'
train_dataloader = dict(dataset=dict(data_root=imagenet_root))
train_cfg = dict(max_epochs=50, val_begin=51)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=50, by_epoch=True, milestones=[40], gamma=0.1)
]
