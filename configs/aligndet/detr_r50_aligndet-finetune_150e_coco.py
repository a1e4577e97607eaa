# AlignDet fine-tuning of DETR R50, 150 epochs on COCO (Li et al., ICCV 2023; AlignDet's
# configs/coco/detr_r50_8x2_150e_coco.py): mmdet's DETR recipe (AdamW lr 1e-4, wd 1e-4,
# backbone lr x0.1, step at 100) with the whole pre-trained detector loaded and every backbone
# parameter trained with SyncBN ("Update all the parameters following UP-DETR"). AlignDet
# keeps DETR's lr and weight decay (its released finetune_detr_150e_coco_lr-mult-0.1 run).
# load_from: written by tools/model_converters/extract_detector_weights.py (docs/weights.md).
_base_ = ['../baselines/detr_r50_8xb2-150e_coco.py', './_base_/finetune_recipe.py']

model = dict(backbone=dict(_base_.aligndet_backbone, frozen_stages=-1, norm_eval=False))
load_from = 'work_dirs/detr_r50_aligndet-pretrain_50e_coco/aligndet_finetune_init.pth'
