# As ./deformable-detr_r50_detreg-finetune_1000e_coco-10shot-nobase.py with 30 instances per
# class (TFA's seed-0 30-shot split).
_base_ = './deformable-detr_r50_detreg-finetune_1000e_coco-10shot-nobase.py'

train_dataloader = dict(
    dataset=dict(ann_file='few_shot_anns/instances_train2017.seed0@30shot.json')
)
