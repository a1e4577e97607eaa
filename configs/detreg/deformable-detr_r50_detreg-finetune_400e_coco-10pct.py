# DETReg fine-tuning on 10 % of COCO's labelled images, 400 epochs (Bar et al., CVPR 2022,
# sec. 4.2, semi-supervised setting; amirbar/DETReg configs/DETReg_fine_tune_10pct_coco.sh):
# batch 3 per GPU x 8 GPUs (the README's --batch_size 3), the model and optimizer of the
# full-COCO fine-tuning, starting from DETReg's COCO pre-training (--pretrain
# exps/DETReg_top30_coco/checkpoint.pth), extracted with
#     python tools/model_converters/extract_detector_weights.py \
#         work_dirs/deformable-detr_r50_detreg-pretrain_50e_coco --preset detreg
# The subset is DETReg's `--filter_pct 0.1`: round(N * 10 / 100) images drawn with seed 42,
#     python tools/misc/make_semi_splits.py --mode images --percent 1 2 5 10
# -> data/coco/semi_anns/instances_train2017.seed42@{1,2,5,10}.json (docs/weights.md).
_base_ = './deformable-detr_r50_detreg-finetune_50e_coco.py'

train_dataloader = dict(
    batch_size=3, dataset=dict(ann_file='semi_anns/instances_train2017.seed42@10.json')
)
max_epochs = 400
# validation every 5 % of the schedule, checkpoints every 1 % (the last two kept) so that an
# interrupted job loses little and the disk does not fill with hundreds of checkpoints
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 20)
default_hooks = dict(checkpoint=dict(interval=max_epochs // 100, max_keep_ckpts=2))
# no lr drop: DETReg's low-data scripts set --lr_drop to --epochs (400 / 400 here), a
# milestone at the last epoch, never reached: a constant lr
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
# DETReg's lr is for 8 x 3 images: --auto-scale-lr rescales it to another total batch
auto_scale_lr = dict(base_batch_size=24)
load_from = 'work_dirs/deformable-detr_r50_detreg-pretrain_50e_coco/finetune_init.pth'
