# AlignDet's R-CNN box head, in pre-training and fine-tuning alike (liming-ai/AlignDet
# configs/_base_/models/selfsup_mask_rcnn_r50_fpn.py:45 `SelfSupShared4Conv1FCBBoxHead` and
# configs/_base_/models/mask_rcnn_r50_fpn.py:43 `Shared4Conv1FCBBoxHead`, every COCO / VOC /
# semi-COCO fine-tune config on top of it): mmdet's Shared4Conv1FCBBoxHead, 4 shared 3x3 convs
# of 256 channels WITHOUT a norm layer (neither config sets `norm_cfg`; only backbone and neck
# get SyncBN at fine-tuning) and one shared fc of 1024. mmdet 3's Faster / Mask R-CNN configs
# use Shared2FCBBoxHead instead. Each R-CNN config merges it into its box head:
#     _base_ = [..., './_base_/rcnn_bbox_head.py']
#     model = dict(roi_head=dict(bbox_head=_base_.aligndet_rcnn_bbox_head))
aligndet_rcnn_bbox_head = dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256, norm_cfg=None)
