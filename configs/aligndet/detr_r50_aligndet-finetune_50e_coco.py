# AlignDet's shorter DETR fine-tuning: 50 epochs, lr step at 40 (AlignDet's
# configs/coco/detr_r50_8x2_50e_coco.py), otherwise as the 150-epoch config.
_base_ = './detr_r50_aligndet-finetune_150e_coco.py'

max_epochs = 50
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[40], gamma=0.1)
]
