"""Make the direct pre-training parity fixture: the original's 448 canvas, by running the
ORIGINAL pipeline steps (wxzs5/direct-pretraining @ 30477c0) on small images.

The original's pre-training pipeline (``configs/_base_/datasets/coco_detection_direct_size448.py``
and ``coco_instance_direct_size448.py``) ends, after the random resize / crop / flip, with
``Normalize(**img_norm_cfg)`` then ``Pad(size=(448, 448))``: mmdet 2.x's transforms, which call
mmcv 1.x's ``imnormalize`` and ``impad``. This script reads the original config with mmcv 1.x's
``Config``, builds those two steps from mmdet 2.x's own ``mmdet/datasets/pipelines/transforms.py``
(loaded from an mmdet 2.x source tree; the imports it does not use for these two classes are
stubbed) and runs them on two seeded images of post-crop sizes. Run it outside the project
(see PROVENANCE.md):

    python make_fixtures.py ORIGINAL_CHECKOUT MMDET2_TREE OUT_DIR
"""
import importlib.util
import json
import os
import sys
import types

import numpy as np


def stub_mmdet(mmdet_tree):
    """A bare ``mmdet`` package: transforms.py's imports that Normalize / Pad do not use."""
    class Registry:
        def register_module(self, *args, **kwargs):
            return lambda cls: cls

    for name in ('mmdet', 'mmdet.core', 'mmdet.core.evaluation',
                 'mmdet.core.evaluation.bbox_overlaps', 'mmdet.datasets',
                 'mmdet.datasets.builder', 'mmdet.datasets.pipelines'):
        sys.modules[name] = types.ModuleType(name)
    sys.modules['mmdet.core'].PolygonMasks = None
    sys.modules['mmdet.core.evaluation.bbox_overlaps'].bbox_overlaps = None
    sys.modules['mmdet.datasets.builder'].PIPELINES = Registry()
    path = os.path.join(mmdet_tree, 'mmdet', 'datasets', 'pipelines', 'transforms.py')
    spec = importlib.util.spec_from_file_location('mmdet.datasets.pipelines.transforms', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(checkout, mmdet_tree, out_dir):
    import mmcv
    from mmcv import Config
    transforms = stub_mmdet(mmdet_tree)
    config = os.path.join(checkout, 'configs', '_base_', 'datasets',
                          'coco_detection_direct_size448.py')
    steps = {s['type']: dict(s) for s in Config.fromfile(config).train_pipeline}
    norm_cfg = {k: v for k, v in steps['Normalize'].items() if k != 'type'}
    pad_cfg = {k: v for k, v in steps['Pad'].items() if k != 'type'}
    normalize, pad = transforms.Normalize(**norm_cfg), transforms.Pad(**pad_cfg)

    rng = np.random.default_rng(0)
    # post-crop sizes (h, w): smaller than the canvas both ways, and one side at the canvas
    images = [rng.integers(0, 256, (37, 45, 3), dtype=np.uint8),
              rng.integers(0, 256, (448, 29, 3), dtype=np.uint8)]
    arrays, meta = {}, []
    for i, img in enumerate(images):
        results = dict(img=img.copy(), img_shape=img.shape, img_fields=['img'])
        results = pad(normalize(results))
        arrays[f'img_{i}'] = img                       # BGR uint8, as LoadImageFromFile reads
        arrays[f'padded_{i}'] = results['img']         # (448, 448, 3) float32, RGB normalised
        meta.append(dict(img_shape=list(results['img_shape']),
                         pad_shape=list(results['pad_shape'])))
    np.savez_compressed(os.path.join(out_dir, 'canvas.npz'), **arrays)
    with open(os.path.join(out_dir, 'canvas.json'), 'w') as f:
        json.dump(dict(normalize=dict(mean=list(norm_cfg['mean']), std=list(norm_cfg['std']),
                                      to_rgb=norm_cfg['to_rgb']),
                       pad=dict(size=list(pad_cfg['size']), pad_val=pad.pad_val),
                       images=meta, mmcv=mmcv.__version__), f, indent=1)


if __name__ == '__main__':
    main(*sys.argv[1:4])
