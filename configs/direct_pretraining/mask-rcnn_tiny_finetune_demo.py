# Fine-tuning after direct pre-training (arXiv 2106.03112, Sec. 3), on the demo data: the
# whole pre-trained detector is loaded (`load_from`) and trained at full resolution with the
# usual schedule and, as in the original, BN statistics frozen (norm_eval, no BN grads,
# stem + first stage frozen).
_base_ = '../baselines/mask-rcnn_tiny_demo.py'

# the final checkpoint of the pre-training config's default work dir; override with
# --cfg-options load_from=...
load_from = 'work_dirs/mask-rcnn_tiny_lowres-pretrain_demo/epoch_8.pth'
model = dict(
    backbone=dict(frozen_stages=1, norm_eval=True, norm_cfg=dict(type='BN', requires_grad=False)),
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=64)),
)
