# AlignDet pre-training of the tiny Mask R-CNN: without a mask head (as the full config), so
# the same model as ./faster-rcnn_aligndet-pretrain_tiny_demo.py.
_base_ = ['./faster-rcnn_aligndet-pretrain_tiny_demo.py']
