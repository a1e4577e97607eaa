# DETReg fine-tuning of Deformable DETR R50 on PASCAL VOC07+12 trainval, 100 epochs, lr drop
# at 70, tested on VOC07 test with COCO-style AP / AP50 / AP75 as DETReg reports it (Bar et
# al., CVPR 2022, sec. 4.3; amirbar/DETReg configs/DETReg_fine_tune_full_pascal.sh with the
# README's --batch_size 4 --epochs 100 --lr_drop 70 on 8 GPUs). Model, optimizer, batch
# (4 x 8) and load_from (DETReg's ImageNet pre-training) as the full-COCO fine-tuning; the
# pre-trained class branches are dropped anyway, so 20 classes start fresh.
# The loaders are not taken from mmdet::_base_/datasets/voc0712.py: mmengine refuses two bases
# that define the same keys (the COCO baseline defines every loader key), and voc0712.py reads
# VOC's txt lists into VOCDataset with 11-point AP50 only. Instead the VOC annotations in COCO
# format, as mmdet's pascal_voc/faster-rcnn_r50_fpn_1x_voc0712-cocofmt.py reads them
# (annotations/voc0712_trainval.json, voc07_test.json), made once by mmdet's converter
#     python .venv/lib/python3*/site-packages/mmdet/.mim/tools/dataset_converters/pascal_voc.py \
#         data/VOCdevkit -o data/VOCdevkit/annotations --out-format coco
# which also lets tools/misc/make_semi_splits.py draw the 10 % subset; the COCO baseline's
# pipelines (multi-scale 480-800, random crop) are kept, as DETReg's VOC training did.
_base_ = './deformable-detr_r50_detreg-finetune_50e_coco.py'

voc_root = 'data/VOCdevkit/'
voc_metainfo = dict(
    classes=(
        'aeroplane',
        'bicycle',
        'bird',
        'boat',
        'bottle',
        'bus',
        'car',
        'cat',
        'chair',
        'cow',
        'diningtable',
        'dog',
        'horse',
        'motorbike',
        'person',
        'pottedplant',
        'sheep',
        'sofa',
        'train',
        'tvmonitor',
    )
)

model = dict(bbox_head=dict(num_classes=20))
train_dataloader = dict(
    dataset=dict(
        data_root=voc_root,
        metainfo=voc_metainfo,
        ann_file='annotations/voc0712_trainval.json',
        data_prefix=dict(img=''),
    )
)
val_dataloader = dict(
    dataset=dict(
        data_root=voc_root,
        metainfo=voc_metainfo,
        ann_file='annotations/voc07_test.json',
        data_prefix=dict(img=''),
    )
)
test_dataloader = val_dataloader
# DETReg's VOC numbers are its datasets/voc_eval.py VocEvaluator's: VOC07 11-point AP per
# class at IoU 0.50, 0.55, ..., 0.95 (legacy +1 box widths, difficult objects ignored),
# reported as AP50, AP75 and their mean over the ten thresholds ("AP"). mmdet's VOCMetric
# computes the same (pascal_voc/mAP, pascal_voc/AP50, ...; the converter stores difficult
# objects as iscrowd, which the dataset passes on as ignored); COCO's AP beside it.
val_evaluator = [
    dict(
        type='VOCMetric',
        metric='mAP',
        eval_mode='11points',
        iou_thrs=[round(0.5 + 0.05 * i, 2) for i in range(10)],
    ),
    dict(
        type='CocoMetric',
        ann_file=voc_root + 'annotations/voc07_test.json',
        metric='bbox',
        format_only=False,
        backend_args=None,
    ),
]
test_evaluator = val_evaluator

max_epochs = 100
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[70], gamma=0.1)
]
