# DAP transfer of the tiny Faster R-CNN to the detection demo with 10 % of its train labels
# (semi_anns/instances_train.1@10.json: python tools/misc/make_semi_splits.py --percent 10
# --ann-file data/demo/annotations/instances_train.json --out-dir data/demo/semi_anns), from
# the tiny DAP pre-training without its class-specific predictor:
#     python tools/model_converters/extract_detector_weights.py \
#         work_dirs/faster-rcnn_dap-pretrain_tiny_demo --preset dap
# The control, from the classifier's backbone alone: --cfg-options load_from=None.
# 48 epochs (8 iterations each), lr x0.1 after 40.
_base_ = ['../baselines/faster-rcnn_tiny_demo.py']
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)

classifier_backbone = 'work_dirs/miniature/classifier/backbone.pth'
model = dict(
    backbone=dict(
        stem_channels=64,
        init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=classifier_backbone),
    )
)
load_from = 'work_dirs/faster-rcnn_dap-pretrain_tiny_demo/finetune_init.pth'

train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train.1@10.json'))
max_epochs = 48
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[40], gamma=0.1),
]
