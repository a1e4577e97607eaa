# AlignDet pre-training of the tiny DETR (the sizes of ../baselines/detr_tiny_demo.py:
# ResNet-18 at a quarter of its width, a 64-dim transformer with 2 encoder + 2 decoder layers,
# 50 queries) on the demo data's train images and their proposals in 8 clusters, views of
# 128-160 px. The backbone is frozen at random init here (there is no image-domain demo
# backbone): set its init_cfg to dict(type='Pretrained', checkpoint=...) to start from one,
# and cluster the proposals with that checkpoint too.
_base_ = [
    './detr_r50_aligndet-pretrain_50e_coco.py',
    '../_base_/tiny_detr.py',
    '../_base_/demo_data.py',
]

num_clusters = 8
# proposals of the demo train images under data/demo/ (tools/misc/make_proposals.py), then
#     tools/misc/cluster_proposals.py data/demo/annotations/train_ratio3size0008@0.5.json \
#         data/demo/train --depth 18 --base-channels 16 --random-init --clusters 8 \
#         --short-side 160
proposal_file = 'annotations/train_ratio3size0008@0.5_cluster-id-as-class.json'

# the tiny sizes (../_base_/tiny_detr.py), classes the proposal clusters
model = dict(detector=_base_.tiny_detr)
model['detector'].bbox_head.num_classes = num_clusters

train_dataloader = _base_.aligndet_demo_train_dataloader
train_dataloader.dataset.update(
    ann_file=proposal_file, metainfo=dict(classes=[f'cluster_{i + 1}' for i in range(num_clusters)])
)
train_dataloader.dataset.pipeline.insert(2, dict(type='KeepFirstProposals', num=50))
val_dataloader = _base_.demo_det_val_dataloader
test_dataloader = _base_.demo_det_test_dataloader
val_evaluator = _base_.demo_det_val_evaluator
test_evaluator = _base_.demo_det_test_evaluator
default_hooks = _base_.demo_default_hooks
# 12 epochs (48 iterations) as the other tiny pre-trainings; AdamW lr 2e-4 at batch 4, as the
# tiny DETR baseline (not the full config's 5e-5 at 16), with a short warm-up and the step at
# 5/6 of the run (AlignDet: 40 of 50)
train_cfg = dict(max_epochs=12, val_begin=13)
optim_wrapper = dict(optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=12, milestones=[10], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)
