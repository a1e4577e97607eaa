# The tiny Deformable DETR's sizes, for the demo data and CPU tests
# (../baselines/deformable-detr_tiny_demo.py and every strategy's tiny Deformable DETR):
# ResNet-18 at a quarter of its width, random init (stages 2-4 give 32/64/128 channels at
# strides 8/16/32, plus one extra level), a 64-dim transformer with 2 encoder + 2 decoder
# layers (4 heads, FFN 128, sine positions with 32 features per axis), 50 queries. Merged
# where the detector is, as ./tiny_detr.py says.
tiny_deformable_detr = dict(
    num_queries=50,
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128], out_channels=64),
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
