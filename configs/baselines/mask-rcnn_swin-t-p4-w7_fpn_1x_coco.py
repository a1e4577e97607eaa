# Mask R-CNN with a Swin-T backbone (patch 4, window 7), FPN, 1x on COCO (bbox + segm):
# mmdet's config, loaded with dpt's plugin.
_base_ = ['mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py', '../_base_/dpt_runtime.py']
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
