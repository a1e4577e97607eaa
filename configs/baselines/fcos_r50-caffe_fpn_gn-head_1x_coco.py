# FCOS R50-caffe FPN with GN head, 1x on COCO: mmdet's config, loaded with dpt's plugin.
_base_ = ['mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py', '../_base_/dpt_runtime.py']
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
