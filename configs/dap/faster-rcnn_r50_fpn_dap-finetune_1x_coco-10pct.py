# DAP transfer to 10 % of the COCO train labels (DAP shows larger gains with fewer labels;
# its splits are not published): the semi-supervised split of tools/misc/make_semi_splits.py
#     python tools/misc/make_semi_splits.py --percent 10
#     (-> data/coco/semi_anns/instances_train2017.1@10.json)
# with a tenth of the full schedule's iterations (9k, steps at 6k and 8k). Other folds:
# --cfg-options train_dataloader.dataset.ann_file=semi_anns/instances_train2017.2@10.json
_base_ = ['./faster-rcnn_r50_fpn_dap-finetune_1x_coco.py']

train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train2017.1@10.json'))

max_iters = 9000
train_cfg = dict(max_iters=max_iters, val_interval=1000)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[6000, 8000],
        gamma=0.1,
    ),
]
default_hooks = dict(checkpoint=dict(interval=1000))
