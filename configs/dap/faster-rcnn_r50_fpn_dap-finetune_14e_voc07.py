# DAP transfer to VOC07 trainval only -> VOC07 test (DAP's VOC07 setting): the VOC07+12
# config (./faster-rcnn_r50_fpn_dap-finetune_14e_voc0712.py) without VOC2012, same schedule.
_base_ = ['./faster-rcnn_r50_fpn_dap-finetune_14e_voc0712.py']

train_dataloader = dict(dataset=dict(dataset=dict(datasets=[_base_.voc07_trainval])))
