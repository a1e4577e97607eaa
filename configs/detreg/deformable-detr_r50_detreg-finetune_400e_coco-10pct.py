# DETReg fine-tuning on 10 % of COCO's labelled images, 400 epochs (Bar et al., CVPR 2022,
# sec. 4.2, semi-supervised setting; METHODS.md section 4): batch 3 per GPU x 8 GPUs, the same
# model, optimizer and load_from as the full-COCO fine-tuning.
# The subset is DETReg's `--filter_pct 0.1`: round(N * 10 / 100) images drawn with seed 42,
#     python tools/misc/make_semi_splits.py --mode images --percent 1 2 5 10
# -> data/coco/semi_anns/instances_train2017.seed42@{1,2,5,10}.json (docs/weights.md).
_base_ = './deformable-detr_r50_detreg-finetune_50e_coco.py'

train_dataloader = dict(
    batch_size=3, dataset=dict(ann_file='semi_anns/instances_train2017.seed42@10.json'))
max_epochs = 400
# validation every 5 % of the schedule, checkpoints every 1 % (the last two kept) so that an
# interrupted job loses little and the disk does not fill with hundreds of checkpoints
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 20)
default_hooks = dict(checkpoint=dict(interval=max_epochs // 100, max_keep_ckpts=2))
# no lr drop: DETReg's low-data scripts set --epochs only, so Deformable DETR's default
# --lr_drop 40 dropped the lr at epoch 40 of 400-2000, the bug its users reported; the
# milestone at the last epoch is never reached (a constant lr)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[max_epochs],
         gamma=0.1)
]
# DETReg's lr is for 8 x 3 images: --auto-scale-lr rescales it to another total batch
auto_scale_lr = dict(base_batch_size=24)
