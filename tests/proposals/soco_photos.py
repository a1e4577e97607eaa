"""The photos of the SoCo parity fixtures (tests/data/parity/soco/), rebuilt from skimage.data."""

import json
import os.path as osp

import numpy as np

FIXTURES = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'parity', 'soco')


def recipes():
    with open(osp.join(FIXTURES, 'photos.json')) as f:
        return json.load(f)


def build_photo(recipe):
    """An (H, W, 3) uint8 photo: a ``skimage.data`` image, an optional crop, an optional
    integer nearest-neighbour upscale (``np.repeat``), as make_fixtures.py builds it."""
    import skimage.data

    img = getattr(skimage.data, recipe['source'])()
    if 'crop' in recipe:
        y0, y1, x0, x1 = recipe['crop']
        img = img[y0:y1, x0:x1]
    k = recipe.get('repeat', 1)
    img = np.repeat(np.repeat(img, k, 0), k, 1)
    return np.ascontiguousarray(img[..., :3], np.uint8)


def soco_boxes():
    """name -> SoCo's boxes as (N, 4) xyxy (last-pixel convention), its label-image hash."""
    data = np.load(osp.join(FIXTURES, 'boxes.npz'))
    out = {}
    for name in recipes():
        r = data[f'{name}/rects'].astype(np.int64)
        out[name] = (
            np.concatenate([r[:, :2], r[:, :2] + r[:, 2:]], 1),
            str(data[f'{name}/labels_sha256']),
        )
    return out
