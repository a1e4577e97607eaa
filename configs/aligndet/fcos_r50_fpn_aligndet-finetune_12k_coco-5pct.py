# As fcos_r50_fpn_aligndet-finetune_12k_coco-10pct.py,
# on 5 % of COCO's labelled images (fold 1).
_base_ = './fcos_r50_fpn_aligndet-finetune_12k_coco-10pct.py'

train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train2017.1@5.json'))
