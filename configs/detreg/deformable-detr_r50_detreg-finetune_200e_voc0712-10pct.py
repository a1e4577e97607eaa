# As deformable-detr_r50_detreg-finetune_100e_voc0712.py, on DETReg's seeded 10 % of the
# VOC07+12 trainval images (`--filter_pct 0.1`, seed 42), 200 epochs, lr drop at 150 (Bar et
# al., CVPR 2022, sec. 4.3; amirbar/DETReg configs/DETReg_fine_tune_10pct_pascal.sh, which
# the README runs on 2 GPUs x 4 images: a total batch of 8, reached here with
# --auto-scale-lr on any GPU count; from the ImageNet pre-training). The subset:
#     python tools/misc/make_semi_splits.py --mode images --percent 10 \
#         --ann-file data/VOCdevkit/annotations/voc0712_trainval.json \
#         --out-dir data/VOCdevkit/annotations
# -> data/VOCdevkit/annotations/voc0712_trainval.seed42@10.json
_base_ = './deformable-detr_r50_detreg-finetune_100e_voc0712.py'

train_dataloader = dict(dataset=dict(ann_file='annotations/voc0712_trainval.seed42@10.json'))
max_epochs = 200
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
# DETReg's lr is for 2 x 4 images
auto_scale_lr = dict(base_batch_size=8)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[150], gamma=0.1)
]
