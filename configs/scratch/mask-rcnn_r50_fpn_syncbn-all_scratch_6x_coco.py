# From scratch with SyncBN instead of GN in backbone, neck and heads (He et al.: SyncBN works
# as well as GN given enough iterations). Needs GPUs (SyncBN has no CPU kernel); on one
# process mmengine turns SyncBN back into BN.
_base_ = './mask-rcnn_r50_fpn_gn-all_scratch_6x_coco.py'
norm_cfg = dict(_delete_=True, type='SyncBN', requires_grad=True)  # no GN num_groups
model = dict(
    backbone=dict(norm_cfg=norm_cfg, norm_eval=False),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(bbox_head=dict(norm_cfg=norm_cfg), mask_head=dict(norm_cfg=norm_cfg)),
)
