# DAP pre-training started from the classifier that made the pseudo boxes (DAP's ImageNet-22k
# recipe; dpt's earlier default), its backbone converted to mmdet's keys first:
#   python tools/model_converters/convert_backbone.py checkpoints/classifier_r50.pth \
#       checkpoints/classifier_r50_backbone.pth
# Fine-tune such a detector with the same two lines in the transfer config (its input
# normalisation must match the pre-training's).
_base_ = ['./faster-rcnn_r50_fpn_dap-pretrain_20k_imagenet.py', './_base_/classifier_init.py']
model = dict(
    data_preprocessor=_base_.classifier_preprocessor, backbone=_base_.classifier_init_backbone
)
