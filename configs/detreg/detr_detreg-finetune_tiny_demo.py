# Fine-tuning the tiny pre-norm DETR from its demo DETReg pre-training
# (./detr_detreg-pretrain_tiny_demo.py, extracted with --preset detreg) on DETReg's seeded
# 10 % of the demo train images (see ./deformable-detr_detreg-finetune_tiny_demo.py).
_base_ = ['../baselines/detr_tiny_demo.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

model = dict(type='PreNormDETR', pre_norm=True)
train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train.seed42@10.json'))
load_from = 'work_dirs/detr_detreg-pretrain_tiny_demo/finetune_init.pth'
