"""Every config parses and its model builds; every tiny demo config trains and predicts.

The config lists are globs, so a new config is tested as soon as it is added:
* every ``configs/**/*.py`` outside ``_base_/`` folders: parsed, dpt's runtime checked, model
  built (no forward, no weights loaded);
* every ``configs/baselines/*tiny_demo.py`` (``*_tiny_demo.py`` and
  ``mask-rcnn_swin-tiny_demo.py``), pointed at a small demo dataset: one training step on 2
  images (finite losses, backbone and head updated), predictions on 2 validation images,
  evaluated with the config's evaluator.
"""

import glob
import math
import os

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG_DIR = os.path.join(ROOT, 'configs')
CONFIGS = sorted(
    p
    for p in glob.glob(os.path.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in os.path.relpath(p, CONFIG_DIR).split(os.sep)
)
TINY_CONFIGS = sorted(glob.glob(os.path.join(CONFIG_DIR, 'baselines', '*tiny_demo.py')))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
EVALUATORS = ('val_evaluator', 'test_evaluator')


def _rel(path):
    return os.path.relpath(path, CONFIG_DIR)


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401  (registers CheckedCocoDataset, DptRunner, ...)


def _load(path):
    from mmengine.config import Config

    return Config.fromfile(path)


def _innermost_dataset(loader_cfg):
    dataset = loader_cfg['dataset']
    while 'dataset' in dataset:  # dataset wrappers (RepeatDataset, ...)
        dataset = dataset['dataset']
    return dataset


def _find(cfg, pred, where=''):
    """(path, value) of every dict in a nested config for which ``pred(dict)`` holds."""
    found = []
    if isinstance(cfg, dict):
        if pred(cfg):
            found.append((where, cfg))
        for key, value in cfg.items():
            found += _find(value, pred, f'{where}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for i, value in enumerate(cfg):
            found += _find(value, pred, f'{where}[{i}]')
    return found


def _has_mask_head(cfg):
    return bool(_find(cfg.model, lambda d: 'mask_head' in d))


# ------------------------------------------------------------------------- every config
def test_configs_found():
    names = {_rel(p) for p in CONFIGS}
    assert 'baselines/faster-rcnn_r50_fpn_1x_coco.py' in names
    assert not any('_base_' in n.split('/') for n in names)
    assert len(TINY_CONFIGS) >= 8, [_rel(p) for p in TINY_CONFIGS]


@pytest.mark.parametrize('path', CONFIGS, ids=_rel)
def test_config_parses_and_builds(path):
    from mmdet.models.detectors import BaseDetector
    from mmdet.registry import DATASETS, MODELS

    cfg = _load(path)
    # dpt's runtime: the plugin is imported and dpt's Runner runs the config
    assert 'dpt' in cfg.custom_imports['imports']
    assert cfg.runner_type == 'DptRunner'
    for name in LOADERS:
        if cfg.get(name) is None and name != 'train_dataloader':
            continue  # a pre-training without validation (DAP's)
        dataset_type = _innermost_dataset(cfg[name])['type']
        assert DATASETS.get(dataset_type) is not None, f'{name}: unknown dataset {dataset_type}'
        if _rel(path).startswith('baselines' + os.sep):
            assert dataset_type == 'CheckedCocoDataset', f'{name} uses {dataset_type}'

    model = MODELS.build(cfg.model)
    assert isinstance(model, BaseDetector)
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) > 0


# ------------------------------------------------------------------- tiny demo configs
def _tiny_cfg(path, data_root):
    """The config, reading the session's demo dataset; score thresholds 0 so that even an
    untrained model returns boxes whose shapes can be checked."""
    cfg = _load(path)
    for name in LOADERS:
        cfg[name].dataset.data_root = data_root
    for name in EVALUATORS:
        cfg[name].ann_file = os.path.join(data_root, 'annotations', 'instances_val.json')
    for _, test_cfg in _find(cfg.model.test_cfg, lambda d: 'score_thr' in d):
        test_cfg['score_thr'] = 0.0
    return cfg


def _build_model(cfg):
    from mmdet.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()  # random init: must not need any checkpoint
    return model


def _batch(cfg, loader, n=2):
    from mmdet.registry import DATASETS
    from mmengine.dataset import pseudo_collate

    dataset = DATASETS.build(cfg[loader].dataset)
    assert len(dataset) >= n
    return dataset, pseudo_collate([dataset[i] for i in range(n)])


@pytest.mark.parametrize('path', TINY_CONFIGS, ids=_rel)
def test_tiny_config_fits_demo_data(path):
    from mmdet.models.dense_heads import RPNHead
    from mmdet.registry import MODELS

    from dpt.datasets import DEMO_CLASSES

    cfg = _load(path)
    for name in LOADERS:
        assert tuple(cfg[name].dataset.metainfo['classes']) == tuple(DEMO_CLASSES), name
    # every classifier of the model predicts the demo classes (RPN: object / background)
    model = MODELS.build(cfg.model)
    num_classes = {
        name: m.num_classes
        for name, m in model.named_modules()
        if isinstance(getattr(m, 'num_classes', None), int) and not isinstance(m, RPNHead)
    }
    assert num_classes and set(num_classes.values()) == {len(DEMO_CLASSES)}, num_classes
    # no pre-trained weights anywhere: tiny models train from random init, offline
    assert not _find(
        cfg.model,
        lambda d: d.get('type') == 'Pretrained' or d.get('pretrained') or d.get('checkpoint'),
    )
    # masks are loaded, predicted and evaluated together, or not at all
    with_mask = _has_mask_head(cfg)
    for name in LOADERS:
        loads = _find(cfg[name].dataset.pipeline, lambda d: d.get('type') == 'LoadAnnotations')
        assert loads and all(bool(d.get('with_mask')) == with_mask for _, d in loads), name
    for name in EVALUATORS:
        metrics = cfg[name].metric
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        assert 'bbox' in metrics and ('segm' in metrics) == with_mask, (name, metrics)
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=cfg.train_dataloader.batch_size)


@pytest.mark.parametrize('path', TINY_CONFIGS, ids=_rel)
def test_tiny_config_train_step(path, demo_data_root):
    from mmengine.optim import build_optim_wrapper

    cfg = _tiny_cfg(path, demo_data_root)
    model = _build_model(cfg)
    model.train()
    _, data = _batch(cfg, 'train_dataloader')
    assert all(len(s.gt_instances) > 0 for s in data['data_samples'])
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}

    log_vars = model.train_step(data, optim_wrapper)

    assert 'loss' in log_vars and len(log_vars) > 1, log_vars
    for name, value in log_vars.items():
        value = torch.as_tensor(value, dtype=torch.float32)
        assert torch.isfinite(value).all(), f'{name} = {value}'
    assert log_vars['loss'] > 0
    changed = [n for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())]
    assert any(n.startswith('backbone.') for n in changed), 'backbone not updated'
    assert any(not n.startswith('backbone.') for n in changed), 'neck / heads not updated'
    for n, p in model.named_parameters():
        assert torch.isfinite(p).all(), f'{n} not finite after one step'


@pytest.mark.parametrize('path', TINY_CONFIGS, ids=_rel)
def test_tiny_config_predicts(path, demo_data_root):
    from mmengine.evaluator import Evaluator

    from dpt.datasets import DEMO_CLASSES

    cfg = _tiny_cfg(path, demo_data_root)
    model = _build_model(cfg)
    model.eval()
    dataset, data = _batch(cfg, 'val_dataloader')
    with torch.no_grad():
        outputs = model.test_step(data)

    with_mask = _has_mask_head(cfg)
    assert len(outputs) == 2
    for out in outputs:
        pred = out.pred_instances
        n = len(pred)
        assert n > 0, 'no predictions even with score_thr 0'
        assert pred.bboxes.shape == (n, 4)
        assert torch.isfinite(pred.bboxes).all()
        assert pred.scores.shape == (n,) and pred.labels.shape == (n,)
        assert 0 <= int(pred.labels.min()) and int(pred.labels.max()) < len(DEMO_CLASSES)
        if with_mask:
            assert tuple(pred.masks.shape) == (n, *out.ori_shape)
        else:
            assert 'masks' not in pred

    # the config's evaluator takes these predictions (COCO bbox, + segm for mask models)
    evaluator = Evaluator(cfg.val_evaluator)
    evaluator.dataset_meta = dataset.metainfo
    evaluator.process(data_samples=outputs, data_batch=data)
    metrics = evaluator.evaluate(len(outputs))
    for kind in ('bbox', 'segm') if with_mask else ('bbox',):
        assert math.isfinite(metrics[f'coco/{kind}_mAP']), metrics
