# DETReg pre-training of the tiny Deformable DETR (sizes of
# ../baselines/deformable-detr_tiny_demo.py:
# ResNet-18 at a quarter width, 64-dim transformer, 2 + 2 layers, 50 queries) on the demo
# train images, labels unused, DETReg's view at 0.3x (short sides 96-144). Backbone and
# region encoder are random and
# frozen (no self-supervised demo checkpoint): set region_encoder.checkpoint and the backbone's
# init_cfg to start from one. Region crops 64 px (DETReg: 128) to spare the CPU.
_base_ = ['./deformable-detr_r50_detreg-pretrain_50e_coco.py', '../_base_/demo_data.py']

model = dict(
    num_queries=50,
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128], out_channels=64),
    encoder=dict(num_layers=2, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=64, num_heads=4),
        ffn_cfg=dict(embed_dims=64, feedforward_channels=128))),
    decoder=dict(num_layers=2, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=64, num_heads=4),
        cross_attn_cfg=dict(embed_dims=64, num_heads=4),
        ffn_cfg=dict(embed_dims=64, feedforward_channels=128))),
    positional_encoding=dict(num_feats=32),
    # ResNet-18 at a quarter width up to layer2: 32 channels
    bbox_head=dict(embed_dims=64, feature_dims=32),
    region_encoder=dict(checkpoint=None, backbone=dict(depth=18, base_channels=16)),
    test_cfg=dict(max_per_img=50))

# DETReg's view at 0.3x its sizes (./_base_/pretrain_view.py)
train_pipeline = _base_.detreg_demo_train_pipeline
train_dataloader = _base_.demo_det_train_dataloader
train_dataloader.dataset.update(filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline)
# the demo loader replaces the full one's (its sampler settings included)
train_dataloader.update(_delete_=True)
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
default_hooks = _base_.demo_default_hooks
train_cfg = dict(max_epochs=12, val_begin=13)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[10], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
