"""Write the fixtures of AlignDet's two views by running liming-ai/AlignDet's own transforms.

Runs OUTSIDE dpt, in a scratch environment with mmcv 1.7.2 (no ops), Pillow, numpy < 2 and
OpenCV, and the mmdet 2.25.3 wheel installed without its dependencies (see PROVENANCE.md):

    python make_fixtures.py --aligndet /tmp/aligndet --out .

``--aligndet``: a work tree of liming-ai/AlignDet at d29f70b. AlignDet's
``AlignDet/datasets/pipelines/rand_aug.py`` and mmdet 2.25.3's ``Resize``, ``Pad``,
``RandomFlip``, ``FilterAnnotations`` and ``Compose`` run as they are; the mmdet / torch /
pycocotools modules below are stubs that only satisfy their imports (a registry, classes
never called). The view pipelines are read from AlignDet's own config
(``configs/_base_/datasets/coco_soft-teacher.py``), cut before ``Normalize`` (dpt normalises
in its data preprocessor), with small scales so that the fixtures stay small.

Writes ``ops.npz`` / ``ops.json`` (each colour op of AlignDet at every magnitude it can
draw), ``views.npz`` / ``views.json`` (both views of fixed seeds, in AlignDet's order and in
dpt's flip-before-pad order) and ``flip_offset.json`` (the constructed flip-after-pad case).
"""
import argparse
import copy
import importlib.util
import json
import os.path as osp
import sys
import types

import mmcv  # before the torch stub: mmcv 1.x imports its torch-free parts without torch
import mmcv.utils
import numpy as np
from mmcv.utils.registry import Registry, build_from_cfg

# mmcv 1.x exports its registry only when torch is installed; mmdet's modules import it there
mmcv.utils.Registry, mmcv.utils.build_from_cfg = Registry, build_from_cfg

H, W = 30, 41
BOXES = [[1.0, 2.0, 20.0, 15.0], [10.5, 5.0, 40.0, 29.0], [0.0, 0.0, 41.0, 30.0],
         [30.0, 20.0, 35.0, 28.0]]
# (long side, short side) as AlignDet's img_scale, small: views of 49x36, 60x44 and 71x52
SCALES = [(80, 36), (80, 44), (80, 52)]
SEEDS = list(range(12))


def test_image():
    """The 41x30 BGR input; the same function is in tests/datasets/test_aligndet_color_ops.py."""
    rng = np.random.RandomState(0)
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    img = np.stack([40 + 150 * x / (W - 1), 60 + 120 * y / (H - 1),
                    200 - 100 * (x + y) / (W + H - 2)], axis=-1)
    img += rng.randint(-25, 26, size=img.shape)
    img[8:18, 10:25] = (230, 30, 90)
    return np.clip(img, 20, 235).astype(np.uint8)


def _module(name, package=False, **attrs):
    mod = types.ModuleType(name)
    if package:
        mod.__path__ = []
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


class _Unused:
    def __init__(self, *args, **kwargs):
        raise RuntimeError('stub: not part of the view pipeline')


def load_original(aligndet_root):
    """AlignDet's rand_aug module and mmdet 2.25.3's pipelines, behind import stubs."""
    spec = importlib.util.find_spec('mmdet')  # located, not imported
    mmdet_dir = osp.dirname(spec.origin)
    pipelines = PIPELINES = Registry('pipeline')
    _module('torch', randperm=_Unused, arange=_Unused)  # only SelectTopKProposals uses it
    _module('pycocotools', package=True)
    _module('pycocotools.mask')
    _module('mmdet', package=True)
    _module('mmdet.core', package=True, BitmapMasks=_Unused, PolygonMasks=_Unused,
            find_inside_bboxes=_Unused)
    _module('mmdet.core.mask', BitmapMasks=_Unused, PolygonMasks=_Unused)
    _module('mmdet.core.evaluation', package=True)
    _module('mmdet.core.evaluation.bbox_overlaps', bbox_overlaps=_Unused)
    _module('mmdet.utils', log_img_scale=_Unused)
    _module('mmdet.datasets', package=True, PIPELINES=PIPELINES)
    _module('mmdet.datasets.builder', PIPELINES=PIPELINES)
    pkg = _module('mmdet.datasets.pipelines', package=True)
    pkg.__path__ = [osp.join(mmdet_dir, 'datasets', 'pipelines')]
    base = osp.join(mmdet_dir, 'datasets', 'pipelines')
    pkg.Compose = _load('mmdet.datasets.pipelines.compose', osp.join(base, 'compose.py')).Compose
    pkg.transforms = _load('mmdet.datasets.pipelines.transforms', osp.join(base, 'transforms.py'))
    _load('mmdet.datasets.pipelines.loading', osp.join(base, 'loading.py'))
    ad = _module('AlignDet.datasets.pipelines', package=True)
    ad.__path__ = [osp.join(aligndet_root, 'AlignDet', 'datasets', 'pipelines')]
    rand_aug = _load('AlignDet.datasets.pipelines.rand_aug',
                     osp.join(ad.__path__[0], 'rand_aug.py'))
    return rand_aug, pipelines, pkg.Compose


def make_ops(rand_aug, image):
    """Each op of AlignDet's OneOf at each magnitude ``randint(1, 10)`` can draw."""
    arrays, meta = dict(image=image), dict(magnitudes=list(range(1, 10)), params={})
    lim = 10
    for name in ('Identity', 'AutoContrast', 'RandEqualize'):
        op = getattr(rand_aug, name)(prob=1.0, magnitude=5, random_magnitude=False)
        arrays[name] = op(dict(img=image.copy()))['img']
    for name in ('RandSolarize', 'RandColor', 'RandContrast', 'RandBrightness',
                 'RandSharpness', 'RandPosterize'):
        for m in meta['magnitudes']:
            op = getattr(rand_aug, name)(prob=1.0, magnitude=m, random_magnitude=False)
            out = op(dict(img=image.copy()))['img']
            assert out.dtype == np.uint8 and out.shape == image.shape
            arrays[f'{name}_m{m}'] = out
    # the parameter each magnitude maps to, by AlignDet's own helpers (rand_aug.py)
    for m in meta['magnitudes']:
        meta['params'].setdefault('RandSolarize threshold', []).append(
            min(rand_aug.int_parameter(m, 256, lim), 255))
        meta['params'].setdefault('RandColor/Contrast/Brightness/Sharpness factor', []).append(
            rand_aug.float_parameter(m, 1.8, lim) + 0.1)
        meta['params'].setdefault('RandPosterize bits', []).append(
            4 - rand_aug.int_parameter(m, 4, lim))
    return arrays, meta


def view_pipelines(aligndet_root, flip_before_pad):
    cfg = mmcv.Config.fromfile(
        osp.join(aligndet_root, 'configs', '_base_', 'datasets', 'coco_soft-teacher.py'))
    views = []
    for pipeline in (cfg.train_pipeline1, cfg.train_pipeline2):
        steps = []
        for t in copy.deepcopy(pipeline):
            if t['type'] == 'Normalize':
                break
            if t['type'] == 'Resize':
                t['img_scale'] = SCALES
            if t['type'] == 'OneOf':
                t['record'] = True  # the op and magnitude drawn, into results['aug_info']
            steps.append(t)
        types_ = [t['type'] for t in steps]
        assert types_ == ['Resize', 'FilterAnnotations', 'Pad', 'RandFlip', 'OneOf'], types_
        if flip_before_pad:
            steps[2], steps[3] = steps[3], steps[2]
        views.append(steps)
    return views


def loaded_results(image, boxes):
    """What AlignDet's load pipeline (LoadImageFromFile, LoadAnnotations) hands the views."""
    return dict(img=image.copy(), img_shape=image.shape, ori_shape=image.shape,
                img_fields=['img'], bbox_fields=['gt_bboxes'],
                gt_bboxes=np.array(boxes, dtype=np.float32),
                gt_labels=np.zeros(len(boxes), dtype=np.int64))


def make_views(aligndet_root, pipelines, compose, image):
    arrays, meta = {}, dict(seeds=SEEDS, scales=SCALES, boxes=BOXES, views={})
    for order, flip_before_pad in (('aligndet', False), ('flip_before_pad', True)):
        built = [compose([build_from_cfg(t, pipelines) for t in steps])
                 for steps in view_pipelines(aligndet_root, flip_before_pad)]
        for seed in SEEDS:
            np.random.seed(seed)
            results = loaded_results(image, BOXES)
            # MultiViewCocoDataset.__getitem__: view 1 (online), then view 2 (target)
            for view, pipeline in zip(('online', 'target'), built):
                out = pipeline(copy.deepcopy(results))
                key = f'{order}/{seed}/{view}'
                arrays[key] = out['img']
                (aug, ) = out['aug_info']
                meta['views'][key] = dict(
                    gt_bboxes=out['gt_bboxes'].tolist(), flip=bool(out['flip']),
                    img_shape=list(out['img_shape']), pad_shape=list(out['pad_shape']),
                    scale_factor=[float(v) for v in out['scale_factor']],
                    op=aug['type'], magnitude=int(aug['magnitude']))
    return arrays, meta


def make_flip_offset(pipelines, compose):
    """A white box on black: where its pixels and its box are after Resize, Pad, RandFlip."""
    image = np.zeros((H, W, 3), np.uint8)
    image[5:15, 2:12] = 255
    box = [2.0, 5.0, 12.0, 15.0]
    pipeline = compose([build_from_cfg(t, pipelines) for t in [
        dict(type='Resize', img_scale=(80, 36), keep_ratio=True),
        dict(type='Pad', size_divisor=32),
        dict(type='RandFlip', flip_ratio=1.0)]])
    out = pipeline(loaded_results(image, [box]))
    cols = np.nonzero(out['img'][..., 0].max(axis=0) > 127)[0]
    rows = np.nonzero(out['img'][..., 0].max(axis=1) > 127)[0]
    return dict(input_box=box, input_shape=[H, W], img_shape=list(out['img_shape']),
                pad_shape=list(out['pad_shape']), flip=bool(out['flip']),
                box_after=out['gt_bboxes'][0].tolist(),
                object_pixels_after=[int(cols[0]), int(rows[0]), int(cols[-1]) + 1,
                                     int(rows[-1]) + 1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--aligndet', required=True, help='work tree of liming-ai/AlignDet')
    parser.add_argument('--out', default=osp.dirname(osp.abspath(__file__)))
    args = parser.parse_args()
    rand_aug, pipelines, compose = load_original(args.aligndet)
    image = test_image()
    arrays, meta = make_ops(rand_aug, image)
    np.savez_compressed(osp.join(args.out, 'ops.npz'), **arrays)
    with open(osp.join(args.out, 'ops.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    arrays, meta = make_views(args.aligndet, pipelines, compose, image)
    np.savez_compressed(osp.join(args.out, 'views.npz'), **arrays)
    with open(osp.join(args.out, 'views.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    with open(osp.join(args.out, 'flip_offset.json'), 'w') as f:
        json.dump(make_flip_offset(pipelines, compose), f, indent=1)


if __name__ == '__main__':
    main()
