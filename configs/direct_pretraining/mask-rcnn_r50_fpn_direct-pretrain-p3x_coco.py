# Direct pre-training "P3x" of Mask R-CNN R50-FPN: the P1x recipe for three times as long
# (36 epochs).
_base_ = './mask-rcnn_r50_fpn_direct-pretrain-p1x_coco.py'
train_cfg = dict(max_epochs=36, val_interval=36)
