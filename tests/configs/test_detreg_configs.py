"""DETReg configs: every one builds; the fine-tune configs state DETReg's recipe (backbone lr
2e-5, epochs and lr drops, seeded subsets, load_from), and the extracted pre-trained detector
loads into the fine-tuning model with only the class branches left fresh."""

import copy
import functools
import glob
import os

import pytest
import torch
from mmengine.config import Config

from dpt.datasets.splits import split_names
from dpt.weights.detector import PLAIN_OUT

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DETREG = os.path.join(ROOT, 'configs', 'detreg')
CONFIGS = sorted(glob.glob(os.path.join(DETREG, '*.py')))
FINETUNE = sorted(glob.glob(os.path.join(DETREG, 'deformable-detr*_detreg-finetune_*.py')))
PRETRAIN_DIR = 'work_dirs/deformable-detr_r50_detreg-pretrain_50e_coco'
IMAGENET_DIR = 'work_dirs/deformable-detr_r50_detreg-pretrain_5e_imagenet'
BASE60_DIR = 'work_dirs/deformable-detr_r50_detreg-finetune_50e_coco-base60'
PARITY = os.path.join(ROOT, 'tests', 'data', 'parity', 'detreg')
# percent of COCO's labelled images -> epochs (DETReg sec. 4.2, batch 3 x 8 GPUs)
LOW_DATA = {1: 2000, 2: 1000, 5: 500, 10: 400}


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401
    import dpt.ops  # noqa: F401


@functools.lru_cache(maxsize=None)
def cfg_of(name):
    return Config.fromfile(os.path.join(DETREG, name))


def test_the_finetune_configs_there_are():
    names = {os.path.basename(p) for p in FINETUNE}
    expected = {
        'deformable-detr_r50_detreg-finetune_50e_coco.py',
        'deformable-detr_r50_detreg-finetune_100e_voc0712.py',
        'deformable-detr_r50_detreg-finetune_200e_voc0712-10pct.py',
        'deformable-detr_detreg-finetune_tiny_demo.py',
    }
    expected |= {
        f'deformable-detr_r50_detreg-finetune_{e}e_coco-{p}pct.py' for p, e in LOW_DATA.items()
    }
    expected |= {'deformable-detr_r50_detreg-finetune_50e_coco-base60.py'}
    expected |= {
        f'deformable-detr_r50_detreg-finetune_{e}e_coco-{k}shot{tail}.py'
        for k in (10, 30)
        for e, tail in ((150, ''), (1000, '-nobase'))
    }
    assert names == expected


def _milestones(cfg):
    return cfg.param_scheduler[-1].milestones


@pytest.mark.parametrize('path', [p for p in FINETUNE if '_r50_' in p], ids=os.path.basename)
def test_r50_recipe(path):
    name = os.path.basename(path)
    cfg = cfg_of(name)
    assert cfg.runner_type == 'DptRunner' and 'dpt.ops' in cfg.custom_imports.imports
    assert (cfg.model.type, cfg.model.msda_impl) == ('DeformableDETRWithOp', 'dpt')
    assert cfg.model.backbone.init_cfg is None  # everything comes from load_from
    optim = cfg.optim_wrapper.optimizer
    assert (optim.type, optim.lr, optim.weight_decay) == ('AdamW', 2e-4, 1e-4)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1  # 2e-5
    assert cfg.optim_wrapper.clip_grad.max_norm == 0.1
    data = cfg.train_dataloader.dataset
    epochs = cfg.train_cfg.max_epochs
    batch = (cfg.train_dataloader.batch_size, cfg.auto_scale_lr.base_batch_size)
    # DETReg's resizes are PIL's (torchvision on PIL images)
    resizes = [
        cfg.train_dataloader.dataset.pipeline[3].transforms[1][0],
        cfg.test_dataloader.dataset.pipeline[1],
    ]
    assert all(r.backend == 'pillow' for r in resizes)
    assert resizes[0].resize_type == resizes[1].type == 'DETRResize'  # DETR's sizes
    # PIL's decoding without EXIF rotation, as DETReg's Image.open(...).convert('RGB')
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline):
        assert (pipeline[0].imdecode_backend, pipeline[0].color_type) == (
            'pillow',
            'color_ignore_orientation',
        )
    # DETReg's matching costs, its focal-cost eps included
    assert cfg.model.train_cfg.assigner.match_costs[0].eps == 1e-8
    # DETReg's BatchSampler(drop_last=True), not mmdet's AspectRatioBatchSampler
    assert cfg.train_dataloader.batch_sampler is None and cfg.train_dataloader.drop_last
    # DETReg's configs/*.sh: full COCO and VOC start from the ImageNet pre-training, the
    # low-data COCO runs from the COCO one; batches as its README runs them
    if name.endswith('_50e_coco.py') or name.endswith('-base60.py'):
        assert (epochs, _milestones(cfg)) == (50, [40])
        assert data.ann_file == 'annotations/instances_train2017.json'
        assert cfg.load_from == f'{IMAGENET_DIR}/{PLAIN_OUT}' and batch == (4, 32)
        if name.endswith('-base60.py'):
            from mmdet.datasets import CocoDataset

            from dpt.evaluation import COCO_NOVEL_CLASSES, coco_base_classes

            assert data.metainfo.classes == coco_base_classes(CocoDataset.METAINFO['classes'])
            assert cfg.model.bbox_head.num_classes == 60
            assert not set(COCO_NOVEL_CLASSES) & set(data.metainfo.classes)
    elif 'shot' in name:
        k, nobase = int(name.split('coco-')[1].split('shot')[0]), name.endswith('-nobase.py')
        assert data.ann_file == f'few_shot_anns/instances_train2017.seed0@{k}shot.json'
        assert (epochs, _milestones(cfg)) == ((1000, [990]) if nobase else (150, [140]))
        assert cfg.load_from == f'{IMAGENET_DIR if nobase else BASE60_DIR}/{PLAIN_OUT}'
        assert cfg.model.bbox_head.num_classes == 80 and batch == (4, 32)
        from dpt.evaluation import COCO_NOVEL_CLASSES

        coco, novel = cfg.val_evaluator
        assert coco.type == 'CocoMetric' and novel.type == 'ClassSubsetCocoMetric'
        assert tuple(novel.eval_classes) == COCO_NOVEL_CLASSES
    elif '_coco-' in name:
        percent = int(name.rsplit('-', 1)[1].split('pct')[0])
        assert epochs == LOW_DATA[percent] and f'_{epochs}e_' in name
        assert _milestones(cfg) == [epochs]  # DETReg's --lr_drop = --epochs: no drop
        assert (
            data.ann_file
            == 'semi_anns/' + split_names('instances_train2017', percent, seed=42, mode='images')[0]
        )
        assert data.data_root == 'data/coco/'
        assert cfg.load_from == f'{PRETRAIN_DIR}/{PLAIN_OUT}' and batch == (3, 24)
        assert cfg.default_hooks.checkpoint.max_keep_ckpts == 2
    else:  # VOC07+12 in COCO format, 20 classes
        assert cfg.model.bbox_head.num_classes == 20 and len(data.metainfo.classes) == 20
        assert data.data_root == 'data/VOCdevkit/'
        assert cfg.load_from == f'{IMAGENET_DIR}/{PLAIN_OUT}'
        assert cfg.val_dataloader.dataset.ann_file == 'annotations/voc07_test.json'
        voc, coco = cfg.val_evaluator
        assert (voc.type, voc.eval_mode) == ('VOCMetric', '11points')
        assert voc.iou_thrs == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
        assert coco.ann_file == 'data/VOCdevkit/annotations/voc07_test.json'
        if '10pct' in name:
            assert (epochs, _milestones(cfg)) == (200, [150])
            assert (
                data.ann_file
                == 'annotations/' + split_names('voc0712_trainval', 10, seed=42, mode='images')[0]
            )
            assert batch == (4, 8)  # the README's 2 GPUs x 4
        else:
            assert (epochs, _milestones(cfg)) == (100, [70])
            assert data.ann_file == 'annotations/voc0712_trainval.json'
            assert batch == (4, 32)


def test_voc_metric_is_detregs(tmp_path):
    """The VOC configs' VOCMetric gives DETReg's VocEvaluator numbers (voc_eval.py, 11-point
    AP at IoU 0.50:0.95, difficult ignored) on the fixture's detections."""
    import json

    from mmdet.registry import METRICS

    ref = json.load(open(os.path.join(PARITY, 'voc_ap.json')))
    cfg = cfg_of('deformable-detr_r50_detreg-finetune_100e_voc0712.py')
    metric = METRICS.build(copy.deepcopy(cfg.val_evaluator[0]))
    metric.dataset_meta = dict(classes=tuple(ref['classes']))
    samples = []
    for im in ref['images']:
        objs = im['objects']
        gt = [o for o in objs if not o['difficult']]
        hard = [o for o in objs if o['difficult']]

        def inst(group):  # XML (1-based) -> 0-based, as mmdet's VOC converter writes
            return dict(
                labels=torch.tensor(
                    [ref['classes'].index(o['name']) for o in group], dtype=torch.long
                ),
                bboxes=torch.tensor(
                    [[v - 1 for v in o['bbox']] for o in group], dtype=torch.float32
                ).reshape(-1, 4),
            )

        dets = [d for d in ref['detections'] if d['image'] == im['name']]
        # DETReg's boxes are continuous (its voc.py moves only xmin / ymin by -1, and its
        # evaluator adds 1 back to them); mmdet's converter moves all four, so a model trained
        # on its boxes predicts x2, y2 one less: the same detections in mmdet's convention
        boxes = [[x1, y1, x2 - 1, y2 - 1] for x1, y1, x2, y2 in (d['bbox'] for d in dets)]
        pred = dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor([d['score'] for d in dets]),
            labels=torch.tensor([d['label'] for d in dets], dtype=torch.long),
        )
        samples.append(
            dict(gt_instances=inst(gt), ignored_instances=inst(hard), pred_instances=pred)
        )
    metric.process({}, samples)
    result = metric.compute_metrics(metric.results)
    assert result['mAP'] == pytest.approx(ref['AP'], abs=1e-6)
    assert result['AP50'] == pytest.approx(ref['AP50'], abs=5e-4)  # mmdet rounds to 3 places
    assert result['AP75'] == pytest.approx(ref['AP75'], abs=5e-4)


def test_pretrain_recipe():
    """DETReg's pre-training batch (24 x 8), its view and, for DETR, its position encoding."""
    for name in (
        'deformable-detr_r50_detreg-pretrain_50e_coco.py',
        'detr_r50_detreg-pretrain_60e_imagenet.py',
    ):
        cfg = cfg_of(name)
        assert cfg.train_dataloader.batch_size == 24 and cfg.auto_scale_lr.base_batch_size == 192
        pipeline = cfg.train_dataloader.dataset.pipeline
        names = [t['type'] for t in pipeline]
        assert names == [
            'LoadImageFromFile',
            'RegionPriors',
            'RandomFlip',
            'RandomChoice',
            'MinRegionPriors',
            'PackRegionPriors',
        ]
        plain, cropped = pipeline[3]['transforms']
        assert [t['type'] for t in cropped] == [
            'RandomChoiceResize',
            'RandomCrop',
            'RandomChoiceResize',
        ]
        assert cropped[1]['crop_size'] == (384, 600) and plain[0]['backend'] == 'pillow'
        assert plain[0]['resize_type'] == cropped[0]['resize_type'] == 'DETRResize'
        # DETReg's 91-class COCO head, the priors class 1
        assert cfg.model.bbox_head.num_classes == 91 and pipeline[1]['label'] == 1
        assert pipeline[0]['imdecode_backend'] == 'pillow'
        assert cfg.train_dataloader.batch_sampler is None and cfg.train_dataloader.drop_last
        if 'deformable' in name:
            assert cfg.model.train_cfg.assigner.match_costs[0].eps == 1e-8
        assert cfg.model.positional_encoding.offset == -0.5  # DETReg's, for DETR as well
    fine = cfg_of('detr_r50_detreg-finetune_150e_coco.py')
    assert fine.model.positional_encoding.offset == -0.5


def test_demo_recipe():
    cfg = cfg_of('deformable-detr_detreg-finetune_tiny_demo.py')
    assert (cfg.model.type, cfg.model.msda_impl) == ('DeformableDETRWithOp', 'dpt')
    assert cfg.model.bbox_head.num_classes == 6
    assert cfg.train_dataloader.dataset.ann_file == 'semi_anns/instances_train.seed42@10.json'
    assert cfg.load_from == f'work_dirs/deformable-detr_detreg-pretrain_tiny_demo/{PLAIN_OUT}'
    assert cfg.train_cfg.max_epochs == 96 and _milestones(cfg) == [80]
    assert cfg.optim_wrapper.optimizer.lr == 2e-4


# one config per distinct model: the COCO subsets share the 50e model, VOC 10 % VOC's
MODELS_TO_BUILD = [p for p in CONFIGS if '_coco-' not in p and 'voc0712-' not in p]


@pytest.mark.parametrize('path', MODELS_TO_BUILD, ids=os.path.basename)
def test_model_builds(path):
    from mmdet.registry import MODELS

    cfg = cfg_of(os.path.basename(path))
    model = MODELS.build(copy.deepcopy(cfg.model))  # mmdet edits the dict it builds from
    assert type(model).__name__ == cfg.model.type
    assert model.bbox_head.num_classes == cfg.model.bbox_head.num_classes


def test_pretrained_detector_loads_into_finetuning(tmp_path):
    """The tiny DETReg pre-trainer, extracted as the fine-tune configs say (--preset
    detreg), loads into the tiny
    fine-tuning model: everything but the class branches, which start fresh (DETReg drops
    only `class_embed`; the box branches' last layers are kept)."""
    from mmdet.registry import MODELS

    from dpt.utils.state_dict import compare_state_dicts
    from dpt.weights import extract_detector_weights
    from dpt.weights.detector import PLAIN_OUT

    torch.manual_seed(0)
    pretrainer = MODELS.build(
        copy.deepcopy(cfg_of('deformable-detr_detreg-pretrain_tiny_demo.py').model)
    )
    torch.save({'state_dict': pretrainer.state_dict()}, tmp_path / 'epoch_12.pth')
    result, out = extract_detector_weights(tmp_path / 'epoch_12.pth', preset='detreg')
    assert out == str(tmp_path / PLAIN_OUT)  # the fine-tune configs' load_from name
    assert not any('feature_embed' in k or 'region_encoder' in k for k in result.state)
    finetune = MODELS.build(
        copy.deepcopy(cfg_of('deformable-detr_detreg-finetune_tiny_demo.py').model)
    )
    report = compare_state_dicts(result.state, finetune.state_dict())
    assert not report.unexpected and not report.shape_mismatch
    assert report.missing and all('.cls_branches.' in k for k in report.missing)
    assert any('.reg_branches.' in k for k in report.loaded)


def test_detr_variant_recipe():
    """DETReg's DETR (configs/DETReg_top30_in_detr.sh): pre-norm, 60 epochs on ImageNet,
    DETR's lr 1e-4 without a drop, 100 queries, one class, frozen backbone; fine-tuning on
    the same pre-norm model from the extracted detector."""
    pre = cfg_of('detr_r50_detreg-pretrain_60e_imagenet.py')
    model = pre.model
    assert (model.type, model.pre_norm, model.num_queries) == ('DETRegDETR', True, 100)
    assert model.freeze_backbone and model.bbox_head.num_classes == 91  # DETReg: COCO 90 + 1
    assert model.bbox_head.feature_dims == 512 and model.region_encoder.checkpoint
    assert pre.train_cfg.max_epochs == 60 and pre.optim_wrapper.optimizer.lr == 1e-4
    assert pre.param_scheduler[0].type == 'ConstantLR'
    assert pre.train_dataloader.dataset.type == 'UnlabelledImageFolder'
    fine = cfg_of('detr_r50_detreg-finetune_150e_coco.py')
    assert (fine.model.type, fine.model.pre_norm) == ('PreNormDETR', True)
    assert fine.load_from == f'work_dirs/detr_r50_detreg-pretrain_60e_imagenet/{PLAIN_OUT}'
    assert fine.train_cfg.max_epochs == 150
    tiny = cfg_of('detr_detreg-finetune_tiny_demo.py')
    assert tiny.load_from == f'work_dirs/detr_detreg-pretrain_tiny_demo/{PLAIN_OUT}'
