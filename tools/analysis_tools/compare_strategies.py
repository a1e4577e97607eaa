"""Each pre-training strategy against its own paper's baseline on the demo data, from
torchvision's ImageNet MobileNetV2, at the same fine-tune budget, over several seeds.

    direct   Mask R-CNN (configs/compare/mask-rcnn_mobilenetv2_*): "ImageNet-1x vs
             Direct(P1x)-1x" (arXiv 2106.03112, Table 1) on all demo train labels: the
             ImageNet backbone fine-tuned; direct pre-training at 96 px from random init, then
             the same fine-tune; from scratch with GN everywhere (He et al., ICCV 2019) for
             the Direct arm's total budget
    aligndet Faster R-CNN: box-domain pre-training (frozen ImageNet backbone) on the
             proposals of all demo train images, then fine-tune on 10 % of the labels, vs the
             same fine-tune from the ImageNet backbone (Li et al., ICCV 2023)
    detreg   Deformable DETR: DETReg pre-training on all demo train images with the frozen
             ImageNet backbone and its layer3 as region encoder, then fine-tune on DETReg's
             seeded 10 % of the images, vs the same fine-tune from the ImageNet backbone
             (Bar et al., CVPR 2022)
    dap      Faster R-CNN: the ImageNet network fine-tuned as a classifier on the
             classification demo split -> CAM pseudo boxes -> DAP pre-training -> fine-tune
             on 10 % of the labels, vs the same fine-tune from the classifier (Zhong et al.,
             CVPR 2021)

Every training, pre-training and data job is a stage: done stages are skipped, a killed one
resumes (training from its last checkpoint), so the same command continues where it
stopped. Each seed has its own work dir; the unlabelled pools and the ImageNet backbone are
shared. AP is box AP on the demo val split at the end of each fine-tune (validated four
times along it for the curves). The page (--out, with a PNG next to it) holds each arm's
mean ± std over the seeds, the paired per-seed differences, the images each arm trained on
and its wall time.

    python tools/analysis_tools/compare_strategies.py --seeds 0 1 2          # the table
    python tools/analysis_tools/compare_strategies.py --seeds 0 1 2 --quick  # shorter budgets
    # AlignDet and DETReg pre-trained on 1200 unlabelled images instead of the 300 train
    # images (their baselines are the table's own stages, reused)
    python tools/analysis_tools/compare_strategies.py --seeds 0 1 2 --strategies aligndet \
        --pool 1200 --out docs/results/strategies_pool1200.md
    # AlignDet with its own MobileNetV2 levels (the 1280-channel conv as the FPN's last
    # input) in both arms, stages of their own
    python tools/analysis_tools/compare_strategies.py --seeds 0 1 2 --strategies aligndet \
        --mobilenet-levels aligndet --out docs/results/strategies_aligndet_levels.md
"""

import argparse
import filecmp
import glob
import json
import os
import os.path as osp
import shutil
import sys
import time

from stages import ROOT, AttemptClock, StageFailed, data_root_options, train_stage

from dpt.engine.fileio import atomic_write_bytes

CFG = 'configs/compare/'
STRATEGIES = ('direct', 'aligndet', 'detreg', 'dap')
TITLES = dict(direct='Direct pre-training', aligndet='AlignDet', detreg='DETReg', dap='DAP')
PROPOSALS = 'annotations/train_ratio3size0008@0.5.json'  # AlignDet's pre-train config reads
CAM_PREFIX = 'annotations/compare_cam_boxes'  # under the classification root
CAM_NMS = 0.8  # the pseudo boxes DAP pre-trains on
DONE = 'result.json'

# Epochs per stage. The fine-tunes of the 10 % arms are on 30 images (8 iterations an epoch),
# the direct arms on 300 (75), the pre-trainings on 300 (AlignDet, DETReg) or 1200 (DAP)
# unlabelled images. Sized from train steps measured on 2 cores shared with other jobs
# (load ~7; batch 4 at 160 px, one thread: Mask R-CNN 3.0 s, Faster R-CNN 2.7 s, Deformable
# DETR 1.4 s, AlignDet pre-training 2.3 s, direct pre-training at 96 px, batch 8, 5.1 s),
# assumed ~3x faster on 2 quiet cores, plus ~35 s per stage (start, validations,
# checkpoints). Measured: the full table's stages summed 2.96 h with the cores shared (load
# ~7), --quick 14.2 min from nothing on 2 quiet cores (docs/compare.md); the page records
# what each arm really took.
BUDGETS = dict(
    full=dict(
        direct_pretrain=3,
        direct_finetune=3,
        scratch=4,
        aligndet_pretrain=2,
        finetune_10pct=24,
        detreg_pretrain=2,
        classifier=4,
        dap_pretrain=1,
    ),
    quick=dict(
        direct_pretrain=1,
        direct_finetune=1,
        scratch=1,
        aligndet_pretrain=1,
        finetune_10pct=8,
        detreg_pretrain=1,
        classifier=1,
        dap_pretrain=1,
    ),
)
EVALS = dict(full=3, quick=2)  # validations along each fine-tune: the curves' points
# --quick runs the two strategies without a classifier stage (AlignDet, DETReg) unless
# --strategies names others; DAP's pre-training then sees this many of the 1200 images
QUICK_STRATEGIES = ('aligndet', 'detreg')
QUICK_DAP_IMAGES = 300


# MobileNetV2 levels fed to the FPN (--mobilenet-levels): dpt's comparison takes the last
# inverted-residual stage (320 channels); AlignDet's MobileNetV2 configs take mmdet's default
# out_indices, whose last level is the 1280-channel 1x1 conv
# (liming-ai/AlignDet configs/other_backbones/{selfsup,finetune}/*mbv2*.py)
MOBILENET_LEVELS = {
    'dpt': None,  # configs/compare/_base_/mobilenet_v2.py as it is
    'aligndet': dict(out_indices='(1,2,4,7)', in_channels='[24,32,96,1280]'),
}


# every stage this process went through (run or skipped): work dir -> its result (seconds,
# attempts)
STAGES_SEEN = {}


def run_stage(title, work_dir, fn):
    """``fn(work_dir)`` -> a JSON-able dict, unless ``work_dir/result.json`` holds it: a
    finished stage is skipped; a killed one left no result and runs again, ``fn``
    continuing from what it left in ``work_dir``."""
    path = osp.join(work_dir, DONE)
    if osp.isfile(path):
        print(f'==== {title}: done already', flush=True)
        with open(path) as f:
            result = json.load(f)
    else:
        os.makedirs(work_dir, exist_ok=True)
        result = fn(work_dir)
        atomic_write_bytes(json.dumps(result, indent=1).encode(), path)
    STAGES_SEEN[osp.abspath(work_dir)] = result
    return result


def read_curve(work_dir, key='coco/bbox_mAP'):
    """[[epoch, value], ...] of every validation in ``work_dir`` (mmengine's
    ``<timestamp>/vis_data/scalars.json`` of each run, resumed ones too), and the last
    validation's metrics ({} when none)."""
    points, last = {}, (-1, {})
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if key in rec:
                    points[int(rec['step'])] = rec[key]
                    if rec['step'] >= last[0]:
                        last = (
                            rec['step'],
                            {k: v for k, v in rec.items() if k.startswith('coco/')},
                        )
    return [[e, points[e]] for e in sorted(points)], last[1]


def _no_detections(work_dir):
    """Whether a validation of ``work_dir`` found nothing at all (mmdet's CocoMetric then
    logs no AP, only this message): AP 0."""
    for path in glob.glob(osp.join(work_dir, '*', '*.log')):
        with open(path, errors='replace') as f:
            if 'testing results of the whole dataset is empty' in f.read():
                return True
    return False


def schedule_options(config, epochs, evals=3):
    """--cfg-options training ``config`` for ``epochs`` epochs: its epoch-based lr steps
    moved in proportion, ``evals`` validations along it, checkpoints as often (a killed run
    loses at most that much)."""
    from miniature import merged_config

    cfg = merged_config(config)
    old = cfg.train_cfg.max_epochs
    every = max(1, epochs // evals)
    opts = [
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={every}',
        f'default_hooks.checkpoint.interval={every}',
    ]
    for i, s in enumerate(cfg.param_scheduler):
        if s.get('by_epoch', True) and 'milestones' in s:
            steps = (
                sorted({max(1, min(epochs - 1, round(m * epochs / old))) for m in s.milestones})
                if epochs > 1
                else [epochs]
            )
            opts += [f'param_scheduler.{i}.milestones={steps}', f'param_scheduler.{i}.end={epochs}']
    return opts


def images_seen(config, options, data_root):
    """Training images a run of ``config`` goes through: epochs x images per epoch."""
    from miniature import _train_images, merged_config

    cfg = merged_config(config, options)
    return cfg.train_cfg.max_epochs * _train_images(cfg, data_root)


def training(title, config, work_dir, options, data_root):
    """A training stage: its record (checkpoint, seconds), images seen, fine-tune curve and
    last validation metrics."""

    def run(wd):
        record = train_stage(title, config, wd, options)
        curve, metrics = read_curve(wd)
        if not metrics and _no_detections(wd):
            metrics = {'coco/bbox_mAP': 0.0, 'coco/bbox_mAP_50': 0.0}
        return dict(
            record, images=images_seen(config, options, data_root), curve=curve, metrics=metrics
        )

    return run_stage(title, work_dir, run)


def extracted(title, checkpoint, out, **kwargs):
    """The fine-tune init of a pre-training (dpt.weights.extract_detector_weights)."""

    def run(wd):
        from dpt.weights import extract_detector_weights

        result, path = extract_detector_weights(checkpoint, osp.join(wd, 'init.pth'), **kwargs)
        print(result.summary(), flush=True)
        return dict(checkpoint=path)

    return run_stage(title, out, run)['checkpoint']


class Context:
    """Paths and budgets of one command."""

    def __init__(self, args):
        self.args = args
        self.work = osp.join(ROOT, args.work_dir)
        self.data = osp.join(ROOT, args.data)
        self.cls = osp.join(ROOT, args.cls_data)
        self.budget = args.budget
        self.imagenet = osp.join(self.work, 'imagenet', 'mobilenet_v2_mmdet.pth')
        self.torchvision = osp.join(self.work, 'imagenet', 'mobilenet_v2-b0353104.pth')
        # the self-supervised pre-trainings' images: the demo train images, or a pool of them
        # and more (--pool)
        self.pool = f'{self.data.rstrip("/")}_pool{args.pool}' if args.pool else None
        self.pool_suffix = f'_pool{args.pool}' if args.pool else ''
        # another MobileNetV2 layout changes every arm: stages of their own
        self.levels = MOBILENET_LEVELS[args.mobilenet_levels]
        self.levels_suffix = '' if self.levels is None else f'_levels-{args.mobilenet_levels}'

    def levels_options(self, model='model'):
        """--cfg-options giving ``model``'s backbone and neck the --mobilenet-levels layout."""
        if self.levels is None:
            return []
        return [
            f'{model}.backbone.out_indices={self.levels["out_indices"]}',
            f'{model}.neck.in_channels={self.levels["in_channels"]}',
        ]

    def data_options(self, seed):
        return [*data_root_options(self.data), f'randomness.seed={seed}']

    def result(self, strategy, arm, seed, stages, final):
        """One row: the final fine-tune's metrics and curve; images and seconds summed over
        ``stages`` (a shared pre-training counted in every arm that uses it)."""
        return dict(
            strategy=TITLES[strategy],
            arm=arm,
            seed=seed,
            metrics=final['metrics'],
            curve=final['curve'],
            images=sum(s['images'] for s in stages),
            seconds=sum(s['seconds'] for s in stages),
        )


def prepare(ctx):
    """Demo data, splits, AlignDet's proposals, the ImageNet MobileNetV2 in mmdet's layout
    and as torchvision saved it (each made only if missing)."""
    from dpt.datasets import make_demo_dataset
    from dpt.datasets.demo_data import make_demo_classification
    from dpt.datasets.splits import make_semi_splits
    from dpt.utils.offline_weights import mobilenet_v2_imagenet
    from dpt.weights import convert_backbone

    gt_file = osp.join(ctx.data, 'annotations', 'instances_train.json')
    if not osp.isfile(gt_file):  # a demo set of another size (tests) is used as it is
        make_demo_dataset(ctx.data)
    if not osp.isdir(osp.join(ctx.cls, 'train')):
        make_demo_classification(ctx.cls)
    make_semi_splits(gt_file, osp.join(ctx.data, 'semi_anns'), [10], [1])
    make_semi_splits(gt_file, osp.join(ctx.data, 'semi_anns'), [10], seed=42, mode='images')
    proposals(ctx.data, ctx.args.workers)
    if ctx.pool:
        make_pool(ctx.data, ctx.pool, ctx.args.pool, ctx.args.workers)
    source = mobilenet_v2_imagenet(check=True)
    if source is None:
        raise SystemExit(
            'compare_strategies: torchvision ImageNet MobileNetV2 not found or '
            'not the expected file (tools/setup_env.sh puts it in '
            '~/.cache/dpt/weights; DPT_MOBILENET_V2 names another path)'
        )
    if not osp.isfile(ctx.torchvision):
        os.makedirs(osp.dirname(ctx.torchvision), exist_ok=True)
        shutil.copyfile(source, ctx.torchvision + '.tmp')
        os.replace(ctx.torchvision + '.tmp', ctx.torchvision)
    if not osp.isfile(ctx.imagenet):
        print(convert_backbone(ctx.torchvision, ctx.imagenet).summary(), flush=True)


def proposals(root, workers):
    """AlignDet's proposals of the demo data set at ``root`` (SoCo's search), unless made;
    the job resumes from its partial file."""
    from dpt.proposals import ProposalSettings, generate_proposals

    if not osp.isfile(osp.join(root, PROPOSALS)):
        generate_proposals(
            osp.join(root, PROPOSALS),
            osp.join(root, 'train'),
            osp.join(root, 'annotations', 'instances_train.json'),
            ProposalSettings.from_options('soco'),
            workers,
        )


def demo_params(data):
    """The demo generator's parameters of the data set at ``data`` (its meta.json)."""
    with open(osp.join(data, 'meta.json')) as f:
        return json.load(f)['params']


def _train_images_json(root):
    with open(osp.join(root, 'annotations', 'instances_train.json')) as f:
        return json.load(f)['images']


def make_pool(data, pool, size, workers=1):
    """``pool``: the demo generator's data set of ``data`` with ``size`` train images instead
    of its own number, and its proposals. An image depends only on the generator's seed, its
    split and its index, so the pool's first train images are ``data``'s train images (checked)
    and the rest are more of the same kind; the pre-trainings ignore the labels it carries."""
    from dpt.datasets import make_demo_dataset

    params = demo_params(data)
    if size <= params['num_train']:
        raise SystemExit(
            f'compare_strategies: --pool {size}: must exceed the {params["num_train"]} train '
            f'images of {data}'
        )
    make_demo_dataset(pool, **dict(params, num_train=size))
    for a, b in zip(_train_images_json(data), _train_images_json(pool)):
        if a['file_name'] != b['file_name'] or not filecmp.cmp(
            osp.join(data, 'train', a['file_name']),
            osp.join(pool, 'train', b['file_name']),
            shallow=False,
        ):
            raise SystemExit(
                f'compare_strategies: {pool}/train/{b["file_name"]} is not {data}\'s train '
                f'image {a["file_name"]}: {data} was not made by the demo generator with '
                f'{params}; remove {pool} or {data} and run again'
            )
    proposals(pool, workers)


def imagenet_init(ctx, module='model.backbone'):
    return [f'{module}.init_cfg.checkpoint={ctx.imagenet}']


def direct(ctx, seed, work):
    b, cfg = ctx.budget, CFG + 'mask-rcnn_mobilenetv2_'
    opts = ctx.data_options(seed)
    finetune = cfg + 'imagenet-finetune_demo.py'
    fine_opts = [*opts, *schedule_options(finetune, b['direct_finetune'], ctx.args.evals)]
    imagenet = training(
        f'seed {seed}: direct, ImageNet -> fine-tune',
        finetune,
        osp.join(work, 'direct_imagenet'),
        [*fine_opts, *imagenet_init(ctx)],
        ctx.data,
    )
    pretrain = cfg + 'direct-pretrain_demo.py'
    pre = training(
        f'seed {seed}: direct pre-training',
        pretrain,
        osp.join(work, 'direct_pretrain'),
        [*opts, *schedule_options(pretrain, b['direct_pretrain'], evals=1)],
        ctx.data,
    )
    tuned = training(
        f'seed {seed}: direct, Direct -> fine-tune',
        finetune,
        osp.join(work, 'direct_finetune'),
        [*fine_opts, 'model.backbone.init_cfg=None', f'load_from={pre["checkpoint"]}'],
        ctx.data,
    )
    scratch = cfg + 'gn-all_scratch_demo.py'
    gn = training(
        f'seed {seed}: direct, scratch GN',
        scratch,
        osp.join(work, 'direct_scratch'),
        [*opts, *schedule_options(scratch, b['scratch'], ctx.args.evals)],
        ctx.data,
    )
    return [
        ctx.result('direct', 'ImageNet -> fine-tune', seed, [imagenet], imagenet),
        ctx.result('direct', 'Direct pre-training -> fine-tune', seed, [pre, tuned], tuned),
        ctx.result('direct', 'scratch, GN', seed, [gn], gn),
    ]


def self_supervised(ctx, seed, work, name, pretrain, finetune, pre_opts, preset, fine_opts=()):
    """Pre-train (all options given), extract with ``preset``, fine-tune from the ImageNet
    backbone (the baseline) and from the pre-training (the strategy)."""
    b, pool, lv = ctx.budget, ctx.pool_suffix, ctx.levels_suffix
    opts = ctx.data_options(seed)
    pre_data = [f'train_dataloader.dataset.data_root={ctx.pool}/'] if ctx.pool else []
    pre = training(
        f'seed {seed}: {name} pre-training{pool}',
        pretrain,
        osp.join(work, f'{name}_pretrain{pool}{lv}'),
        [*opts, *pre_data, *pre_opts],
        ctx.pool or ctx.data,
    )
    init = extracted(
        f'seed {seed}: {name} weights{pool}',
        pre['checkpoint'],
        osp.join(work, f'{name}_init{pool}{lv}'),
        preset=preset,
    )
    fine = [*opts, *schedule_options(finetune, b['finetune_10pct'], ctx.args.evals), *fine_opts]
    base = training(
        f'seed {seed}: {name}, ImageNet -> fine-tune',
        finetune,
        osp.join(work, f'{name}_baseline{lv}'),
        [*fine, *imagenet_init(ctx)],
        ctx.data,
    )
    tuned = training(
        f'seed {seed}: {name}, pre-trained{pool} -> fine-tune',
        finetune,
        osp.join(work, f'{name}_finetune{pool}{lv}'),
        [*fine, *imagenet_init(ctx), f'load_from={init}'],
        ctx.data,
    )
    return base, pre, tuned


def pretrain_strategy(ctx, seed, work, name, pretrain, finetune, init_opts, fine_opts=()):
    """AlignDet or DETReg (``name``): :func:`self_supervised` with the configs ``pretrain``
    and ``finetune`` (under configs/compare/), the pre-training on the budget's
    ``<name>_pretrain`` epochs with ``init_opts``, both fine-tunes with ``fine_opts``; the
    ImageNet baseline and the strategy as the table's two rows."""
    pretrain, finetune = CFG + pretrain, CFG + finetune
    pre_opts = [*schedule_options(pretrain, ctx.budget[f'{name}_pretrain'], evals=1), *init_opts]
    base, pre, tuned = self_supervised(
        ctx, seed, work, name, pretrain, finetune, pre_opts, name, fine_opts
    )
    return [
        ctx.result(name, 'ImageNet -> fine-tune', seed, [base], base),
        ctx.result(name, f'ImageNet -> {TITLES[name]} -> fine-tune', seed, [pre, tuned], tuned),
    ]


def aligndet(ctx, seed, work):
    return pretrain_strategy(
        ctx,
        seed,
        work,
        'aligndet',
        'faster-rcnn_mobilenetv2_aligndet-pretrain_demo.py',
        'faster-rcnn_mobilenetv2_aligndet-finetune_demo.py',
        [*imagenet_init(ctx, 'model.detector.backbone'), *ctx.levels_options('model.detector')],
        ctx.levels_options(),
    )


def detreg(ctx, seed, work):
    return pretrain_strategy(
        ctx,
        seed,
        work,
        'detreg',
        'deformable-detr_mobilenetv2_detreg-pretrain_demo.py',
        'deformable-detr_mobilenetv2_detreg-finetune_demo.py',
        [*imagenet_init(ctx), f'model.region_encoder.checkpoint={ctx.torchvision}'],
    )


def dap_classifier(ctx):
    """The ImageNet MobileNetV2 fine-tuned on the classification split, its mmdet backbone
    and its CAM pseudo boxes (shared by every seed); returns the stage result."""

    def run(wd):
        from dpt.apis.classifier import ClassifierRecipe, train_classifier
        from dpt.datasets.classification import read_folder
        from dpt.pseudo_boxes import CamSettings
        from dpt.pseudo_boxes.generate import generate_cam_boxes, output_names
        from dpt.weights import convert_backbone

        clock = AttemptClock(wd)  # a resumed stage counts the time of all its attempts
        with clock.attempt():
            out = osp.join(wd, 'classifier.pth')
            recipe = ClassifierRecipe(
                arch='torchvision:mobilenet_v2',
                init=ctx.torchvision,
                epochs=ctx.budget['classifier'],
                batch_size=32,
                lr=0.01,
                weight_decay=4e-5,
                image_size=96,
            )
            if not osp.isfile(out + '.json'):
                train_classifier(osp.join(ctx.cls, 'train'), out, recipe, osp.join(ctx.cls, 'val'))
            with open(out + '.json') as f:
                record = json.load(f)
            backbone = osp.join(wd, 'backbone.pth')
            print(convert_backbone(out, backbone).summary(), flush=True)
            img_root = osp.join(ctx.cls, 'train')
            prefix = osp.join(wd, 'cam_boxes')
            settings = CamSettings(scales=(128, 256), nms=(CAM_NMS,))
            boxes = output_names(prefix, settings)[CAM_NMS]
            if not osp.isfile(boxes):
                items, classes = read_folder(img_root)
                generate_cam_boxes(
                    prefix,
                    img_root,
                    items,
                    classes,
                    'torchvision:mobilenet_v2',
                    out,
                    {},
                    settings,
                    ctx.args.workers,
                )
        with open(boxes) as f:
            images = len(json.load(f)['images'])
        epochs = recipe.epochs
        return dict(
            classifier=out,
            backbone=backbone,
            boxes=boxes,
            val_accuracy=record.get('val_accuracy'),
            **clock.summary(),
            images=epochs * record['train_images'],
            cam_images=images,
        )

    return run_stage('DAP classifier and CAM boxes', osp.join(ctx.work, 'classifier'), run)


def dap(ctx, seed, work):
    clf = dap_classifier(ctx)
    b = ctx.budget
    pretrain = CFG + 'faster-rcnn_mobilenetv2_dap-pretrain_demo.py'
    backbone = [f'model.backbone.init_cfg.checkpoint={clf["backbone"]}']
    pre_opts = [
        f'train_dataloader.dataset.data_root={ctx.cls}/',
        f'train_dataloader.dataset.ann_file={clf["boxes"]}',
        f'randomness.seed={seed}',
        *backbone,
        *schedule_options(pretrain, b['dap_pretrain'], evals=1),
    ]
    if ctx.args.quick:
        pre_opts.append(f'train_dataloader.dataset.indices={QUICK_DAP_IMAGES}')
    pre = training(
        f'seed {seed}: DAP pre-training',
        pretrain,
        osp.join(work, 'dap_pretrain'),
        pre_opts,
        ctx.cls,
    )
    if ctx.args.quick:  # the subset, not the whole file
        pre = dict(pre, images=min(pre['images'], b['dap_pretrain'] * QUICK_DAP_IMAGES))
    init = extracted(
        f'seed {seed}: DAP weights', pre['checkpoint'], osp.join(work, 'dap_init'), preset='dap'
    )
    finetune = CFG + 'faster-rcnn_mobilenetv2_dap-finetune_demo.py'
    fine = [
        *ctx.data_options(seed),
        *schedule_options(finetune, b['finetune_10pct'], ctx.args.evals),
        *backbone,
    ]
    base = training(
        f'seed {seed}: DAP, classifier -> fine-tune',
        finetune,
        osp.join(work, 'dap_baseline'),
        fine,
        ctx.data,
    )
    tuned = training(
        f'seed {seed}: DAP, classifier -> DAP -> fine-tune',
        finetune,
        osp.join(work, 'dap_finetune'),
        [*fine, f'load_from={init}'],
        ctx.data,
    )
    shared = dict(images=clf['images'], seconds=clf['seconds'])  # counted in both arms
    return [
        ctx.result('dap', 'ImageNet -> classifier -> fine-tune', seed, [shared, base], base),
        ctx.result(
            'dap', 'ImageNet -> classifier -> DAP -> fine-tune', seed, [shared, pre, tuned], tuned
        ),
    ]


RUNS = dict(direct=direct, aligndet=aligndet, detreg=detreg, dap=dap)
# (strategy, arm, baseline arm) of the paired differences
COMPARISONS = [
    (TITLES['direct'], 'Direct pre-training -> fine-tune', 'ImageNet -> fine-tune'),
    (TITLES['direct'], 'Direct pre-training -> fine-tune', 'scratch, GN'),
    (TITLES['aligndet'], 'ImageNet -> AlignDet -> fine-tune', 'ImageNet -> fine-tune'),
    (TITLES['detreg'], 'ImageNet -> DETReg -> fine-tune', 'ImageNet -> fine-tune'),
    (
        TITLES['dap'],
        'ImageNet -> classifier -> DAP -> fine-tune',
        'ImageNet -> classifier -> fine-tune',
    ),
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument(
        '--strategies',
        nargs='+',
        choices=STRATEGIES,
        help=f'default: all (--quick: {" ".join(QUICK_STRATEGIES)})',
    )
    p.add_argument(
        '--quick',
        action='store_true',
        help='shorter budgets, AlignDet and DETReg only unless --strategies '
        '(under 30 min for 3 seeds)',
    )
    p.add_argument(
        '--work-dir',
        default=None,
        help='default work_dirs/compare (--quick: work_dirs/compare_quick)',
    )
    p.add_argument('--data', default='data/demo')
    p.add_argument('--cls-data', default='data/demo_cls')
    p.add_argument(
        '--out',
        default=None,
        help='default docs/results/strategies.md (--quick: docs/results/strategies_quick.md)',
    )
    p.add_argument('--workers', type=int, default=1, help='processes for proposals and CAMs')
    p.add_argument(
        '--pool',
        type=int,
        default=None,
        metavar='N',
        help='AlignDet and DETReg pre-train on N unlabelled images: the demo train images and '
        'N minus their number more from the demo generator (<data>_poolN; default: the train '
        'images alone); the fine-tunes and baselines are unchanged',
    )
    p.add_argument(
        '--mobilenet-levels',
        choices=sorted(MOBILENET_LEVELS),
        default='dpt',
        help="MobileNetV2 levels fed to AlignDet's FPN, in both its arms: dpt (default; the "
        "last inverted-residual stage, 320 channels) or aligndet (AlignDet's MobileNetV2 "
        'configs: the 1280-channel conv); needs --strategies aligndet',
    )
    p.add_argument(
        '--epochs',
        nargs='+',
        default=[],
        metavar='STAGE=N',
        help=f'override budgets, e.g. finetune_10pct=16 (stages: {", ".join(BUDGETS["full"])})',
    )
    args = p.parse_args(argv)
    budget = dict(BUDGETS['quick' if args.quick else 'full'])
    for item in args.epochs:
        stage, _, value = item.partition('=')
        if stage not in budget or not value.isdigit() or int(value) < 1:
            p.error(
                f'--epochs {item}: write STAGE=N (N >= 1) with STAGE one of {", ".join(budget)}'
            )
        budget[stage] = int(value)
    args.budget = budget
    suffix = '_quick' if args.quick else ''
    args.strategies = args.strategies or list(QUICK_STRATEGIES if args.quick else STRATEGIES)
    if args.mobilenet_levels != 'dpt' and args.strategies != ['aligndet']:
        p.error(
            f'--mobilenet-levels {args.mobilenet_levels}: only AlignDet has a MobileNetV2 '
            'config of its own; add --strategies aligndet'
        )
    args.evals = EVALS['quick' if args.quick else 'full']
    args.work_dir = args.work_dir or f'work_dirs/compare{suffix}'
    args.out = args.out or f'docs/results/strategies{suffix}.md'
    return args


def stage_seconds():
    """Wall-clock seconds of every stage this command went through, each counted once (an
    arm's time counts a shared stage again; this does not), whenever and in whichever
    sitting it ran: what the whole table costs from the data and the proposals on."""
    return sum(r.get('seconds', 0.0) for r in STAGES_SEEN.values())


def resumed_note():
    """A line on the stages that ran in more than one attempt, or None."""
    resumed = [r for r in STAGES_SEEN.values() if r.get('attempts', 1) > 1]
    if not resumed:
        return None
    estimated = sum(r.get('estimated_attempts', 0) for r in resumed)
    line = (
        f'- {len(resumed)} of the {len(STAGES_SEEN)} stages were stopped and resumed '
        f'({sum(r["attempts"] for r in resumed)} attempts in all); their wall times sum all '
        'their attempts'
    )
    if estimated:
        line += (
            f', {estimated} of them killed outright and timed from the files they left (a '
            'lower bound)'
        )
    return line


def notes(ctx, command, results, seconds):
    from miniature import machine

    b = ctx.budget
    with open(osp.join(ctx.data, 'annotations', 'instances_val.json')) as f:
        val_images = len(json.load(f)['images'])
    lines = [
        f'Made by `{command}` on {time.strftime("%Y-%m-%d")}, {machine()}; '
        f'{seconds / 60:.1f} min for that command (stages finished by an earlier run are '
        'reused and not counted there; each arm\'s wall time below is its own stages\'); '
        f'all its stages, each counted once, took {stage_seconds() / 3600:.2f} h '
        '(the sum of their recorded wall times, whichever sitting ran them).',
        "- ImageNet backbone: torchvision's MobileNetV2 (`mobilenet_v2-b0353104.pth`, "
        '71.9 % top-1) converted to mmdet\'s MobileNetV2 by '
        '`tools/model_converters/convert_backbone.py` (every tensor filled)',
        f"- budgets ({'--quick' if ctx.args.quick else 'full'}), epochs: {json.dumps(b)}; "
        '"images seen" counts every stage of an arm (its pre-training and the DAP '
        'classifier included)',
        f'- AP: box AP on the {val_images} demo val images at the end of each fine-tune; '
        'the curves: '
        'the validations along it (mean over the seeds, band: std)',
        '- what runs, why, and the commands: [docs/compare.md](../compare.md); '
        'configs: `configs/compare/`; strategy pages: '
        '[direct pre-training](direct_pretraining_miniature.md), '
        '[AlignDet](aligndet_miniature.md), [DETReg](detreg_miniature.md), '
        '[DAP](dap_miniature.md)',
    ]
    if ctx.pool:
        lines.append(
            f'- pre-training pool (--pool {ctx.args.pool}): AlignDet and DETReg pre-train on '
            f'{ctx.args.pool} unlabelled images, the demo train images and '
            f'{ctx.args.pool - demo_params(ctx.data)["num_train"]} more from the demo generator '
            f'(`{osp.relpath(ctx.pool, ROOT)}`); fine-tunes and baselines as without it'
        )
    clf = osp.join(ctx.work, 'classifier', DONE)
    if 'dap' in ctx.args.strategies and osp.isfile(clf):
        with open(clf) as f:
            rec = json.load(f)
        acc = rec.get('val_accuracy')
        lines.append(
            f"- DAP classifier: the ImageNet MobileNetV2 fine-tuned for {b['classifier']} "
            f"epochs on the classification demo split (val accuracy "
            f"{'-' if acc is None else f'{100 * acc:.1f} %'}); CAM boxes (NMS "
            f"{CAM_NMS:g}) of its {rec['cam_images']} train images"
        )
    resumed = resumed_note()
    if resumed:
        lines.append(resumed)
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    ctx = Context(args)
    start = time.time()
    prepare(ctx)
    results = []
    try:
        for seed in args.seeds:
            work = osp.join(ctx.work, f'seed{seed}')
            for name in args.strategies:
                results += RUNS[name](ctx, seed, work)
    except StageFailed as e:
        sys.exit(f'compare_strategies: {e}')
    from miniature import command_line, write_report
    from strategies_report import page, plot

    out = osp.join(ROOT, args.out)
    atomic_write_bytes(json.dumps(results, indent=1).encode(), osp.join(ctx.work, 'results.json'))
    picture = plot(results, osp.splitext(out)[0] + '.png')
    text = page(
        results,
        COMPARISONS,
        notes(ctx, command_line(__file__), results, time.time() - start),
        picture,
    )
    print('\n' + text)
    write_report(args.out, text)


if __name__ == '__main__':
    main()
