# DETReg's few-shot setting without base classes (Bar et al., CVPR 2022, sec. 4.4, Table 3;
# amirbar/DETReg README: "Fine-tune DETReg on few-shot labeled images (80 classes, every class
# has 10 or 30 instances) for 1000 epochs, lr drop after 990 epochs"), straight from DETReg's
# pre-training (the README names none for this step: the ImageNet one, as the full-COCO
# fine-tuning's, is assumed; --cfg-options load_from=... for the COCO one). Split, metrics and
# batch as ./deformable-detr_r50_detreg-finetune_150e_coco-10shot.py.
_base_ = './deformable-detr_r50_detreg-finetune_150e_coco-10shot.py'

max_epochs = 1000
# validation every 5 % of the schedule, checkpoints every 1 % (the last two kept)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 20)
default_hooks = dict(checkpoint=dict(interval=max_epochs // 100, max_keep_ckpts=2))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[990], gamma=0.1)
]
load_from = 'work_dirs/deformable-detr_r50_detreg-pretrain_5e_imagenet/finetune_init.pth'
