"""Direct pre-training and from-scratch configs: the recipe's settings, one step of each tiny
variant, and the hand-over of a pre-trained detector to its fine-tuning model."""

import glob
import os

import pytest
import torch
from mmengine.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRECT = os.path.join(ROOT, 'configs', 'direct_pretraining')
TINY = sorted(
    glob.glob(os.path.join(ROOT, 'configs', 'direct_pretraining', '*_demo.py'))
    + glob.glob(os.path.join(ROOT, 'configs', 'scratch', '*_demo.py'))
)
DETECTORS = (
    'faster-rcnn_r50_fpn',
    'mask-rcnn_r50_fpn',
    'retinanet_r50_fpn',
    'cascade-rcnn_r50_fpn',
    'mask-rcnn_swin-t-p4-w7_fpn',
)


@pytest.fixture(scope='module', autouse=True)
def _registered():
    from mmdet.utils import register_all_modules

    register_all_modules()
    import dpt  # noqa: F401


def cfg_of(name):
    return Config.fromfile(os.path.join(DIRECT, name))


@pytest.mark.parametrize('det', DETECTORS)
def test_coco_recipe(det):
    pre = cfg_of(f'{det}_direct-pretrain-p1x_coco.py')
    p3x = cfg_of(f'{det}_direct-pretrain-p3x_coco.py')
    ft = cfg_of(f'{det}_direct-finetune-p1x_1x_coco.py')
    # pre-training: 448 px crops of train2017 repeated 4x, 8 images per GPU, 12 / 36 epochs
    loader = pre.train_dataloader
    assert loader.batch_size == 8 and loader.dataset.type == 'RepeatDataset'
    assert loader.dataset.times == 4
    steps = {t['type']: t for t in loader.dataset.dataset.pipeline}
    assert steps['RandomResize']['scale'] == (448, 448)
    assert steps['RandomResize']['ratio_range'] == (0.8, 1.2)
    assert steps['RandomCrop']['crop_size'] == (448, 448)
    # the canvas is padded after normalisation (mean colour), not in the pipeline (black)
    assert 'Pad' not in steps
    assert pre.model.data_preprocessor.pad_size_divisor == 448
    assert pre.model.data_preprocessor.pad_value == 0
    assert pre.train_cfg.max_epochs == 12 and p3x.train_cfg.max_epochs == 36
    # warm-up then a constant rate: no step or cosine scheduler after the warm-up
    assert [s['type'] for s in pre.param_scheduler] == ['LinearLR']
    assert pre.auto_scale_lr.base_batch_size == 64
    if 'swin' in det:
        assert pre.optim_wrapper.type == 'AmpOptimWrapper'
        assert pre.optim_wrapper.optimizer.type == 'AdamW'
        assert pre.optim_wrapper.optimizer.lr == 4e-4
    else:
        assert pre.optim_wrapper.optimizer.lr == (0.04 if 'retinanet' in det else 0.08)
        assert pre.optim_wrapper.paramwise_cfg.norm_decay_mult == 0.0
        assert pre.param_scheduler[0].end == (1000 if 'retinanet' in det else 500)
        bb = pre.model.backbone
        assert (bb.frozen_stages, bb.norm_eval, bb.norm_cfg.requires_grad) == (-1, False, True)
        assert ft.model.backbone.norm_eval and not ft.model.backbone.norm_cfg.requires_grad
    assert pre.model.backbone.init_cfg is None and ft.model.backbone.init_cfg is None
    # fine-tuning: the usual 1x at 1333x800, loading the pre-training's final checkpoint
    assert ft.train_cfg.max_epochs == 12
    assert ft.load_from == f'work_dirs/{det}_direct-pretrain-p1x_coco/epoch_12.pth'
    p3x_ft = cfg_of(f'{det}_direct-finetune-p3x_1x_coco.py')
    assert p3x_ft.load_from.endswith('p3x_coco/epoch_36.pth')
    # the original's 1x: warm-up over 500 iterations from 0.001, steps at 8 and 11
    warmup, steps = ft.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR', 0.001, 500)
    assert steps.milestones == [8, 11]
    # the two models have the same architecture: pre-trained weights all fit
    if 'roi_head' in pre.model:
        assert pre.model.roi_head.bbox_head == ft.model.roi_head.bbox_head


def build(path):
    from mmdet.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(path).model)
    model.init_weights()
    return model


def test_pretrained_detector_hands_over_to_finetuning():
    from dpt.utils.state_dict import adapt_norm_layers, check_fits, compare_state_dicts

    pre = build(os.path.join(DIRECT, 'mask-rcnn_tiny_lowres-pretrain_demo.py'))
    ft = build(os.path.join(DIRECT, 'mask-rcnn_tiny_finetune_demo.py'))
    state, converted = adapt_norm_layers(pre.state_dict(), ft)
    report = compare_state_dicts(state, ft.state_dict())
    assert not converted and not report.missing and not report.unexpected
    assert not report.shape_mismatch and len(report.loaded) == len(ft.state_dict())

    # into the GN from-scratch model: BN layers become GN layers, everything else fits
    gn = build(
        os.path.join(ROOT, 'configs', 'scratch', 'mask-rcnn_tiny_gn-all_scratch-15e_demo.py')
    )
    state, converted = adapt_norm_layers(pre.state_dict(), gn)
    report = compare_state_dicts(state, gn.state_dict())
    report.converted = converted
    bn_layers = sum(isinstance(m, torch.nn.BatchNorm2d) for m in pre.modules())
    assert len(converted) == bn_layers > 0
    assert not report.shape_mismatch
    # only the conv biases that the GN model's convs drop (a norm follows them now) are unused
    assert report.unexpected and all(k.endswith('conv.bias') for k in report.unexpected)
    check_fits(report, 'pre.pth', 'MaskRCNN', 0.5)
    assert f'converted {bn_layers} norm layers: BN -> GN' in report.summary()


@pytest.mark.parametrize('path', TINY, ids=lambda p: os.path.relpath(p, ROOT))
def test_tiny_variant_trains_one_step(path, demo_data_root):
    from mmdet.registry import DATASETS
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper

    cfg = Config.fromfile(path)
    cfg.train_dataloader.dataset.data_root = demo_data_root
    model = build(path)
    model.train()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    data = pseudo_collate([dataset[i] for i in range(2)])
    if 'lowres' in path:  # the pre-training crops to 96 px, padded to 96 with the mean colour
        assert all(max(s.img_shape) <= 96 for s in data['data_samples'])
        batch = model.data_preprocessor(data, True)
        assert tuple(batch['inputs'].shape[-2:]) == (96, 96)
        for img, sample in zip(batch['inputs'], batch['data_samples']):
            h, w = sample.img_shape
            assert sample.pad_shape == (96, 96)
            assert torch.all(img[:, h:] == 0) and torch.all(img[:, :, w:] == 0)
            assert tuple(sample.gt_instances.masks.masks.shape[-2:]) == (96, 96)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    losses = model.train_step(data, optim_wrapper)
    assert torch.isfinite(torch.as_tensor(losses['loss']))
    changed = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and not torch.equal(before[n], p.detach())
    ]
    assert any(n.startswith('backbone.') for n in changed)
    if 'finetune' in path:  # BN frozen: no BN parameter is trainable
        assert not any('bn' in n and p.requires_grad for n, p in model.backbone.named_parameters())


PARITY = os.path.join(ROOT, 'tests', 'data', 'parity', 'direct_pretraining')


@pytest.mark.parametrize('det', DETECTORS)
def test_canvas_is_padded_as_the_original(det):
    """The original's Normalize then Pad(size=(448, 448)) (mmdet 2.x, mmcv 1.x; fixture made by
    make_fixtures.py) against the pre-train config's pipeline end and data preprocessor: the
    same normalised 448x448 tensor, up to float32 rounding (the original multiplies by 1 / std,
    mmengine divides by std); the padded area is exactly 0 (the mean colour) in both."""
    import json

    import numpy as np
    from mmcv.transforms import Compose
    from mmdet.registry import MODELS, TRANSFORMS
    from mmdet.structures.mask import BitmapMasks
    from mmengine.dataset import pseudo_collate

    fixture = np.load(os.path.join(PARITY, 'canvas.npz'))
    meta = json.load(open(os.path.join(PARITY, 'canvas.json')))
    cfg = cfg_of(f'{det}_direct-pretrain-p1x_coco.py')
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    # the steps after the random ones, as the config has them, then its data preprocessor
    flip = [t['type'] for t in pipeline].index('RandomFlip')
    pack = Compose([TRANSFORMS.build(t) for t in pipeline[flip + 1 :]])
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    samples = []
    for i, info in enumerate(meta['images']):
        img = fixture[f'img_{i}']
        h, w = img.shape[:2]
        samples.append(
            pack(
                dict(
                    img=img,
                    img_shape=(h, w),
                    ori_shape=(h, w),
                    img_id=i,
                    img_path=f'{i}.jpg',
                    scale_factor=(1.0, 1.0),
                    flip=False,
                    flip_direction=None,
                    gt_bboxes=np.array([[1, 1, 8, 8]], np.float32),
                    gt_bboxes_labels=np.array([0]),
                    gt_ignore_flags=np.array([False]),
                    gt_masks=BitmapMasks(np.ones((1, h, w), np.uint8), h, w),
                )
            )
        )
    batch = preprocessor(pseudo_collate(samples), True)
    for i, info in enumerate(meta['images']):
        expected = torch.from_numpy(fixture[f'padded_{i}']).permute(2, 0, 1)
        got = batch['inputs'][i]
        assert got.shape == expected.shape == (3, 448, 448)
        torch.testing.assert_close(got, expected, rtol=0, atol=2e-6)
        h, w = info['img_shape'][:2]
        assert torch.all(got[:, h:] == 0) and torch.all(got[:, :, w:] == 0)
        sample = batch['data_samples'][i]
        assert tuple(sample.img_shape) == (h, w)  # as mmdet 2.x's Pad
        assert tuple(sample.pad_shape) == tuple(info['pad_shape'][:2])
        if 'mask' in det:
            masks = sample.gt_instances.masks.masks
            assert masks.shape[-2:] == (448, 448) and masks[:, h:].sum() == 0
