# DETReg's pre-training view (amirbar/DETReg datasets/selfdet.py make_self_det_transforms and
# datasets/transforms.py): region priors and their crops from the image as loaded, then a
# horizontal flip (p 0.5) and, with probability 1/2 each, (a) a resize of the short side to
# one of 320-480 (long side at most 600) or (b) a resize of the short side to 400 / 500 / 600,
# a random crop of 384-600 px a side, and (a) again. Boxes are clipped to the crop, those
# left outside dropped with their crops; an image left with < 2 boxes is replaced by another.
# Resizes use DETR's size rule (dpt's DETRResize: sizes truncated, as mmdet's Resize does
# not) and PIL's bilinear filter, as DETReg's torchvision resize of PIL images does.
detreg_scales = (320, 336, 352, 368, 400, 416, 432, 448, 464, 480)
detreg_resize = dict(
    type='RandomChoiceResize',
    resize_type='DETRResize',
    keep_ratio=True,
    backend='pillow',
    scales=[(600, s) for s in detreg_scales],
)
detreg_view = [
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [detreg_resize],
            [
                dict(
                    type='RandomChoiceResize',
                    resize_type='DETRResize',
                    keep_ratio=True,
                    backend='pillow',
                    scales=[(0, s) for s in (400, 500, 600)],
                ),  # 0: no limit
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True,
                ),
                detreg_resize,
            ],
        ],
    ),
    dict(type='MinRegionPriors', min_priors=2),
]
# label 1: DETReg's priors are class 1 of its 91-class COCO head (the pre-training configs'
# num_classes)
# images decoded by PIL without EXIF rotation, as DETReg's Image.open(...).convert("RGB")
# (mmcv's default, OpenCV, turns images by their EXIF orientation)
detreg_load = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    color_type='color_ignore_orientation',
    backend_args=None,
)
detreg_train_pipeline = [
    detreg_load,
    dict(
        type='RegionPriors', source='online', num_priors=30, min_priors=2, patch_size=128, label=1
    ),
    *detreg_view,
    dict(type='PackRegionPriors'),
]

# the same view at 0.3x DETReg's sizes for the demo data (160 px images), crops of 64 px
detreg_demo_resize = dict(
    type='RandomChoiceResize',
    resize_type='DETRResize',
    keep_ratio=True,
    backend='pillow',
    scales=[(180, s) for s in (96, 112, 128, 144)],
)
detreg_demo_train_pipeline = [
    detreg_load,
    dict(type='RegionPriors', source='online', num_priors=30, min_priors=2, patch_size=64, label=1),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [detreg_demo_resize],
            [
                dict(
                    type='RandomChoiceResize',
                    resize_type='DETRResize',
                    keep_ratio=True,
                    backend='pillow',
                    scales=[(0, s) for s in (120, 150, 180)],
                ),
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(115, 180),
                    allow_negative_crop=True,
                ),
                detreg_demo_resize,
            ],
        ],
    ),
    dict(type='MinRegionPriors', min_priors=2),
    dict(type='PackRegionPriors'),
]
