# As deformable-detr_r50_detreg-finetune_400e_coco-10pct.py, on DETReg's seeded 1 % of COCO's
# labelled images, 2000 epochs (Bar et al., CVPR 2022, sec. 4.2).
_base_ = './deformable-detr_r50_detreg-finetune_400e_coco-10pct.py'

train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train2017.seed42@1.json'))
max_epochs = 2000
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 20)
default_hooks = dict(checkpoint=dict(interval=max_epochs // 100, max_keep_ckpts=2))
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[max_epochs],
        gamma=0.1,
    )
]
