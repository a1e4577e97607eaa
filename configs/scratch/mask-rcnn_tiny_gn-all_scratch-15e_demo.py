# Miniature (c): training from scratch as He et al. recommend, GN in backbone, neck and heads
# (8 groups: the tiny model's 16-channel stem cannot take 32), on the demo data for the same
# 15-epoch budget as (a) and as pre-training + fine-tuning (docs/direct_pretraining.md).
_base_ = './mask-rcnn_tiny_bn_scratch-15e_demo.py'

norm_cfg = dict(type='GN', num_groups=8, requires_grad=True)
model = dict(
    backbone=dict(norm_cfg=norm_cfg, zero_init_residual=False),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(bbox_head=dict(norm_cfg=norm_cfg), mask_head=dict(norm_cfg=norm_cfg)),
)
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.0))
