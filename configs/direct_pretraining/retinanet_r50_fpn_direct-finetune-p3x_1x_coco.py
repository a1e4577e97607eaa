# Fine-tuning after the P3x pre-training (36 epochs): the P1x fine-tune config with the P3x
# checkpoint.
_base_ = './retinanet_r50_fpn_direct-finetune-p1x_1x_coco.py'
load_from = 'work_dirs/retinanet_r50_fpn_direct-pretrain-p3x_coco/epoch_36.pth'
