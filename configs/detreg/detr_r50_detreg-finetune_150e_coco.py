# Fine-tuning DETReg's pre-norm DETR on COCO: mmdet's DETR recipe (150 epochs, AdamW 1e-4,
# backbone 1e-5, drop at 100; DETReg publishes no DETR fine-tuning script) on the pre-norm
# transformer, from every pre-trained weight but the class layer (--preset detreg).
_base_ = ['../baselines/detr_r50_8xb2-150e_coco.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

# DETReg's position encoding for DETR too, as pre-trained (offset -0.5: its
# models/position_encoding.py, shared by both detectors)
model = dict(type='PreNormDETR', pre_norm=True, positional_encoding=dict(offset=-0.5))
load_from = 'work_dirs/detr_r50_detreg-pretrain_60e_imagenet/finetune_init.pth'
