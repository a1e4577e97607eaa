# DETR R50, 150 epochs on COCO (8 GPUs x 2 images): mmdet's config, loaded with dpt's plugin.
_base_ = ['mmdet::detr/detr_r50_8xb2-150e_coco.py', '../_base_/dpt_runtime.py']
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
