# DETReg fine-tuning of the tiny Deformable DETR (../baselines/deformable-detr_tiny_demo.py,
# the 6 demo classes) on 10 % of the demo train labels, the demo counterpart of
# deformable-detr_r50_detreg-finetune_400e_coco-10pct.py: dpt's op, the whole detector but the
# class branches from the demo pre-training, AdamW 2e-4 with clipping 0.1, 24 epochs.
# The backbone keeps the full lr (the tiny baseline's), not DETReg's 0.1x: the demo
# pre-training leaves it at its random init (no self-supervised demo checkpoint, frozen), and
# 2e-5 would barely move it. The split is DETReg's seeded subset of the demo train images:
#     python tools/misc/make_semi_splits.py --mode images --percent 10 \
#         --ann-file data/demo/annotations/instances_train.json --out-dir data/demo/semi_anns
# load_from: the demo pre-training's detector as extract_detector_weights.py writes it
# (with the options of deformable-detr_r50_detreg-finetune_50e_coco.py); another with
# --cfg-options load_from=...
_base_ = ['../baselines/deformable-detr_tiny_demo.py']
custom_imports = dict(imports=['dpt', 'dpt.ops'], allow_failed_imports=False)

model = dict(type='DptDeformableDETR', msda_impl='dpt')
train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train.seed42@10.json'))
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[18],
         gamma=0.1),
]
load_from = 'work_dirs/deformable-detr_detreg-pretrain_tiny_demo/finetune_init.pth'
