# DETReg fine-tuning of the tiny Deformable DETR (../baselines/deformable-detr_tiny_demo.py,
# the 6 demo classes) on 10 % of the demo train labels, the demo counterpart of
# deformable-detr_r50_detreg-finetune_400e_coco-10pct.py: dpt's op, the whole detector but the
# class branches from the demo pre-training, AdamW 2e-4 with clipping 0.1, 96 epochs (drop at
# 80; the 30 labelled images give 8 iterations an epoch).
# The backbone keeps the full lr (the tiny baseline's), not DETReg's 0.1x: the tiny
# pre-training config leaves it at its random init, and 2e-5 would barely move it. With a
# pre-trained backbone (tools/analysis_tools/detreg_miniature.py starts from a classifier's)
# set DETReg's: optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult=0.1.
# The split is DETReg's seeded subset of the demo train images:
#     python tools/misc/make_semi_splits.py --mode images --percent 10 \
#         --ann-file data/demo/annotations/instances_train.json --out-dir data/demo/semi_anns
# load_from: the demo pre-training's detector as extract_detector_weights.py writes it
# with --preset detreg; another with
# --cfg-options load_from=...
_base_ = ['../baselines/deformable-detr_tiny_demo.py']
custom_imports = dict(imports=['dpt', 'dpt.ops'], allow_failed_imports=False)

model = dict(type='DeformableDETRWithOp', msda_impl='dpt')
train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train.seed42@10.json'))
max_epochs = 96
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[80], gamma=0.1),
]
load_from = 'work_dirs/deformable-detr_detreg-pretrain_tiny_demo/finetune_init.pth'
