# From scratch, 9x, with the short side sampled in [640, 800] (He et al., Sec. 4: scale
# augmentation needs the longer schedule).
_base_ = './mask-rcnn_r50_fpn_gn-all_scratch_9x_coco.py'
train_dataloader = dict(
    dataset=dict(
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='RandomResize', scale=[(1333, 640), (1333, 800)], keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackDetInputs'),
        ]
    )
)
