# Direct pre-training "P3x" of Mask R-CNN Swin-T: the P1x recipe for 36 epochs.
_base_ = './mask-rcnn_swin-t-p4-w7_fpn_direct-pretrain-p1x_coco.py'
train_cfg = dict(max_epochs=36, val_interval=36)
