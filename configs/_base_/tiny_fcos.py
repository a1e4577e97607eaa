# The tiny FCOS's sizes, for the demo data and CPU tests (../baselines/fcos_tiny_demo.py and
# every strategy's tiny FCOS): ResNet-18 at a quarter of its width, random init, a 64-channel
# FPN and head, regression ranges halved for the small demo objects. Merged where the
# detector is, as ./tiny_detr.py says.
tiny_fcos = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    bbox_head=dict(
        in_channels=64,
        feat_channels=64,
        regress_ranges=((-1, 32), (32, 64), (64, 128), (128, 256), (256, 1e8)),
    ),
)
