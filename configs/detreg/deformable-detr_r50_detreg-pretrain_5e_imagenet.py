# DETReg pre-training of Deformable DETR R50 on the ImageNet-1k train images, labels unused
# (amirbar/DETReg configs/DETReg_top30_in.sh: --dataset imagenet --epochs 5, the rest as
# ./deformable-detr_r50_detreg-pretrain_50e_coco.py). Its --lr_drop stays at 40, so the lr
# never drops in 5 epochs: constant here too. The images are read from a plain folder
# (class sub-folders are walked, not read); on a slow file system give the list of relative
# paths once instead of scanning:  find train -name '*.JPEG' -printf '%P\n' > train_list.txt
# and set train_dataloader.dataset.ann_file='train_list.txt'.
_base_ = ['./deformable-detr_r50_detreg-pretrain_50e_coco.py']

imagenet_root = 'data/imagenet/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='UnlabelledImageFolder',
        data_root=imagenet_root,
        data_prefix=dict(img='train/'),
        pipeline=_base_.train_pipeline,
    )
)

train_cfg = dict(max_epochs=5, val_begin=6)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=5)]
