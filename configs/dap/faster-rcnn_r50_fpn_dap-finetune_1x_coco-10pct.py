# DAP transfer to 10 % of the COCO train labels (DAP shows larger gains with fewer labels;
# its splits are not published): the semi-supervised split of tools/misc/make_semi_splits.py
#     python tools/misc/make_semi_splits.py --percent 10
#     (-> data/coco/semi_anns/instances_train2017.1@10.json)
# with the 1x schedule's epochs (so a tenth of its iterations). Other folds / percents:
# --cfg-options train_dataloader.dataset.ann_file=semi_anns/instances_train2017.2@10.json
_base_ = ['./faster-rcnn_r50_fpn_dap-finetune_1x_coco.py']

train_dataloader = dict(dataset=dict(ann_file='semi_anns/instances_train2017.1@10.json'))
