# Mask R-CNN R50-FPN from scratch with GN everywhere, 6x (He et al.; mmdet reports 41.2 box /
# 37.4 mask AP). mmdet's config, with dpt's plugin and checked datasets.
_base_ = ['mmdet::scratch/mask-rcnn_r50-scratch_fpn_gn-all_6x_coco.py', '../_base_/dpt_runtime.py']
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=16)
