# DETReg's few-shot setting, step 1 (Bar et al., CVPR 2022, sec. 4.4, Table 3, "with base
# classes"; amirbar/DETReg README "Few-Shot object detection", which follows TFA's classes and
# splits): fine-tuning on COCO's 60 base classes (every train2017 image, annotations of the 20
# novel / PASCAL VOC classes left out: mmdet's CocoDataset reads only the listed classes),
# "similar hyperparams as in MSCoco finetuning": the full-COCO fine-tuning's 50 epochs, drop at
# 40, batch 4 x 8, from DETReg's ImageNet pre-training (the README names no pre-training for
# this step: the full-COCO one's is assumed).
# Then ./deformable-detr_r50_detreg-finetune_150e_coco-10shot.py.
_base_ = './deformable-detr_r50_detreg-finetune_50e_coco.py'

# TFA's base classes: COCO's 80 without dpt.evaluation.COCO_NOVEL_CLASSES, in COCO order
base_classes = (
    'truck',
    'traffic light',
    'fire hydrant',
    'stop sign',
    'parking meter',
    'bench',
    'elephant',
    'bear',
    'zebra',
    'giraffe',
    'backpack',
    'umbrella',
    'handbag',
    'tie',
    'suitcase',
    'frisbee',
    'skis',
    'snowboard',
    'sports ball',
    'kite',
    'baseball bat',
    'baseball glove',
    'skateboard',
    'surfboard',
    'tennis racket',
    'wine glass',
    'cup',
    'fork',
    'knife',
    'spoon',
    'bowl',
    'banana',
    'apple',
    'sandwich',
    'orange',
    'broccoli',
    'carrot',
    'hot dog',
    'pizza',
    'donut',
    'cake',
    'bed',
    'toilet',
    'laptop',
    'mouse',
    'remote',
    'keyboard',
    'cell phone',
    'microwave',
    'oven',
    'toaster',
    'sink',
    'refrigerator',
    'book',
    'clock',
    'vase',
    'scissors',
    'teddy bear',
    'hair drier',
    'toothbrush',
)
model = dict(bbox_head=dict(num_classes=60))
train_dataloader = dict(dataset=dict(metainfo=dict(classes=base_classes)))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=base_classes)))
test_dataloader = val_dataloader
