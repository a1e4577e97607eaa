# The tiny DETR's sizes, for the demo data and CPU tests (../baselines/detr_tiny_demo.py and
# every strategy's tiny DETR): ResNet-18 at a quarter of its width, random init (its
# 128-channel stride-32 map is 5x5 on 160 px images), a 64-dim transformer with 2 encoder +
# 2 decoder layers (4 heads, FFN 128, sine positions with 32 features per axis), 50 queries
# (at most 22 objects per demo image). A config that inherits a full DETR config and this
# file merges it where its detector is: `model = _base_.tiny_detr` (a detector config) or
# `model = dict(detector=_base_.tiny_detr)` (a pre-trainer around one). mmengine refuses a
# key that two bases both define, so the sizes have a name of their own instead of `model`.
tiny_detr = dict(
    num_queries=50,
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[128], out_channels=64),
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=64, num_heads=4),
            ffn_cfg=dict(embed_dims=64, feedforward_channels=128),
        ),
    ),
    decoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=64, num_heads=4),
            cross_attn_cfg=dict(embed_dims=64, num_heads=4),
            ffn_cfg=dict(embed_dims=64, feedforward_channels=128),
        ),
    ),
    positional_encoding=dict(num_feats=32),
    bbox_head=dict(embed_dims=64),
    test_cfg=dict(max_per_img=50),
)
