# Deformable DETR R50, 50 epochs on COCO (16 GPUs x 2 images): mmdet's config, loaded with
# dpt's plugin.
_base_ = [
    'mmdet::deformable_detr/deformable-detr_r50_16xb2-50e_coco.py',
    '../_base_/dpt_runtime.py',
]
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
