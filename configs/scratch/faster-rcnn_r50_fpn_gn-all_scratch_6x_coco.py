# Faster R-CNN R50-FPN trained from scratch (He et al., "Rethinking ImageNet Pre-training"):
# random init, GN(32) in backbone, neck and box head, 6x schedule (73 epochs, steps 65 / 71),
# no weight decay on norms. mmdet's config, with dpt's plugin and checked datasets.
_base_ = [
    'mmdet::scratch/faster-rcnn_r50-scratch_fpn_gn-all_6x_coco.py',
    '../_base_/dpt_runtime.py',
]
train_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedCocoDataset'))
test_dataloader = val_dataloader
auto_scale_lr = dict(enable=False, base_batch_size=16)
